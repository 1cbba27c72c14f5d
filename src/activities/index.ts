/**
 * Activities: thin adapters from workflow intent to the LifeTime client. Each calls the client, returns a
 * small camelCase result (history stays small) and turns failures into ApplicationFailures whose `type`
 * the workflow branches on.
 */
import { activityInfo, ApplicationFailure, cancellationSignal, log } from '@temporalio/activity';
import {
  isLifeTimeError,
  isTerminalStatus,
  LifeTimeClient,
  UnknownApplicationError,
  UnknownEnvironmentError,
  type Application,
  type DeploymentCommand,
  type DeploymentStatus,
  type Environment,
} from '../lifetime';
import { releaseActivities } from './release';
import type {
  AppRequest,
  EnvRef,
  FailureType,
  LogLine,
  MissingMapping,
  ResolvedApp,
  TargetUnavailability,
} from '../workflows/messages';
import { createWindowActivities } from './windows';

/** An ApplicationFailure whose type is one of the workflow's failure types. */
function failure(type: FailureType, message: string, nonRetryable: boolean): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable });
}

/** Converts any error into an ApplicationFailure that says whether a retry can help. */
export function toFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (isLifeTimeError(err)) {
    const type: FailureType = err.code;
    return ApplicationFailure.create({
      type,
      message: err.message,
      nonRetryable: !err.retryable,
      nextRetryDelay: err.retryAfterMs,
      details: err.status !== undefined ? [{ status: err.status, method: err.method, path: err.path }] : undefined,
    });
  }
  return failure('Unexpected', err instanceof Error ? err.message : String(err), false);
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFailure(err);
  }
}

/** How long a worker keeps the application names → keys index. */
const APP_INDEX_TTL_MS = 10 * 60_000;

/** An application key (a GUID): read directly, no list needed. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function findEnv(envs: Environment[], wanted: string): EnvRef {
  const hit = envs.find((e) => e.Key === wanted) ?? envs.find((e) => e.Name === wanted);
  if (!hit)
    throw new UnknownEnvironmentError(
      wanted,
      envs.map((e) => e.Name),
    );
  return { key: hit.Key, name: hit.Name };
}

/**
 * An application's version to deploy: its base version in the source environment (from its per-environment status).
 * An application changed since its last tag deploys that tag, and a note says so.
 */
export function versionInSource(
  app: Application,
  source: { sourceKey: string; sourceName: string },
  deploymentZoneKey: string,
  notes: string[],
): ResolvedApp {
  const inSource = app.AppStatusInEnvs?.find((s) => s.EnvironmentKey === source.sourceKey);
  if (!inSource || !inSource.BaseApplicationVersionKey) {
    throw failure(
      'UnknownApplicationVersion',
      `application "${app.Name}" has no tagged version in ${source.sourceName}; tag it there first`,
      true,
    );
  }
  if (inSource.IsModified) {
    notes.push(
      `${app.Name} has changes in ${source.sourceName} that are not tagged; deploying its last tag ` +
        `${inSource.BaseApplicationVersionLabel ?? inSource.BaseApplicationVersionKey} instead`,
    );
  }
  return {
    key: app.Key,
    name: app.Name,
    versionKey: inSource.BaseApplicationVersionKey,
    versionLabel: inSource.BaseApplicationVersionLabel,
    deploymentZoneKey,
    isModified: inSource.IsModified ?? false,
  };
}

/**
 * A refusal of `start` / `continue` because the target is in maintenance mode or offline (reference §5.1, §7.6),
 * read from LifeTime's message ("in maintenance mode", "is offline": LifeTime documents no code or wording for
 * it, so a conflict that merely names an application "Maintenance…" is not taken for it), or undefined.
 */
export function unavailableTarget(refusal: string): TargetUnavailability | undefined {
  if (/\bin maintenance mode\b/i.test(refusal)) return { kind: 'maintenance mode', lifetime: refusal };
  if (/\bis offline\b/i.test(refusal)) return { kind: 'offline', lifetime: refusal };
  return undefined;
}

export const createActivities = (lt: LifeTimeClient) => {
  const opts = () => ({ signal: cancellationSignal() });

  /**
   * Names → keys of LifeTime's applications, kept by the worker for a while: turning a name into a key costs the
   * whole application list (LifeTime has no name filter), so only the first deployment in that time pays for it. An
   * application is always read by key with its status; a name not in the index, a key that answers 404 or an
   * application whose name no longer matches refreshes the index once.
   */
  let appIndex: { at: number; apps: { key: string; name: string }[] } | undefined;
  const appIndexFor = async (fresh: boolean) => {
    if (fresh || !appIndex || Date.now() - appIndex.at > APP_INDEX_TTL_MS) {
      const all = await lt.applications.list({ includeEnvStatus: false }, opts());
      appIndex = { at: Date.now(), apps: all.map((a) => ({ key: a.Key, name: a.Name })) };
      return { apps: appIndex.apps, fetched: true };
    }
    return { apps: appIndex.apps, fetched: false };
  };
  const readApp = (key: string) =>
    lt.applications.get(key, { includeEnvStatus: true }, opts()).catch((err: unknown) => {
      if (isLifeTimeError(err) && err.status === 404) return undefined;
      throw err;
    });

  /** An application (with its status in every environment) by key or name. */
  const findApplication = async (wanted: string): Promise<Application> => {
    if (GUID.test(wanted)) {
      const byKey = await readApp(wanted); // a key is read directly, no list
      if (byKey) return byKey;
    }
    for (const fresh of [false, true]) {
      const index = await appIndexFor(fresh);
      const hit = index.apps.find((a) => a.key === wanted) ?? index.apps.find((a) => a.name === wanted);
      const app = hit && (await readApp(hit.key));
      if (app && (app.Key === wanted || app.Name === wanted)) return app;
      if (index.fetched) {
        throw new UnknownApplicationError(
          wanted,
          index.apps.map((a) => a.name),
        );
      }
    }
    throw new UnknownApplicationError(wanted, []); // unreachable: the second pass always fetches
  };

  /** LifeTime's "never" date (`1900-01-01`): a plan with a later StartedOn has been started. */
  const startedOn = (d: Date | undefined): boolean => !!d && d.getUTCFullYear() > 1900;

  /** Our plan has been started: its status has moved past `saved`, or it shows a start date. */
  const isStarted = async (key: string): Promise<boolean> => {
    const st = await lt.deployments.status(key, opts());
    if (st.DeploymentStatus !== 'saved') return true;
    return startedOn((await lt.deployments.get(key, opts())).Deployment.StartedOn);
  };

  /** Whether `command` has taken effect on the plan, from its status (a text for the note), or undefined. */
  const tookEffect = async (key: string, command: 'continue' | 'abort'): Promise<string | undefined> => {
    const status = (await lt.deployments.status(key, opts())).DeploymentStatus;
    const done =
      command === 'abort'
        ? status === 'aborting' || status === 'aborted'
        : status !== 'needs_user_intervention' && status !== 'saved';
    return done ? `the plan is ${status}` : undefined;
  };

  /** Another plan that runs on the target (started, not ended), from the target's recent plans; at most 20 read. */
  const activePlanOn = async (
    targetKey: string,
    ours: string,
  ): Promise<{ key: string; status: DeploymentStatus } | undefined> => {
    const now = Date.now();
    const recent = await lt.deployments.list(
      {
        targetEnvironmentKey: targetKey,
        minDate: isoDate(new Date(now - 8 * 86_400_000)),
        maxDate: isoDate(new Date(now + 86_400_000)),
      },
      opts(),
    );
    // The plans that run now are among the most recently started: a target with many finished plans (a busy day,
    // a queue of deployments under the busy-target policy) must not push them out of the 20 looked at.
    const candidates = recent
      .filter((p) => p.Key !== ours && startedOn(p.StartedOn))
      .sort((a, b) => b.StartedOn!.getTime() - a.StartedOn!.getTime())
      .slice(0, 20);
    for (const p of candidates) {
      const status = (await lt.deployments.status(p.Key, opts())).DeploymentStatus;
      if (!isTerminalStatus(status) && status !== 'saved') return { key: p.Key, status };
    }
    return undefined;
  };

  return {
    ...releaseActivities(lt, { findApplication, guard, opts }),
    ...createWindowActivities(),

    /** Step 1: environment names (or keys) → keys, matched exactly. */
    async resolveEnvironments(input: { source: string; target: string }): Promise<{ source: EnvRef; target: EnvRef }> {
      return guard(async () => {
        const envs = await lt.environments.list(opts());
        return { source: findEnv(envs, input.source), target: findEnv(envs, input.target) };
      });
    },

    /**
     * Step 2: each application's base version key in the source. Only the requested applications are read with their
     * per-environment status; a name is turned into a key with the worker's application index (see findApplication),
     * so the cost follows the request, not the size of the factory.
     */
    async resolveVersions(input: {
      sourceKey: string;
      sourceName: string;
      apps: AppRequest[];
    }): Promise<{ apps: ResolvedApp[]; notes: string[] }> {
      return guard(async () => {
        const notes: string[] = [];
        const apps: ResolvedApp[] = [];
        for (const req of input.apps) {
          const zone = req.deploymentZoneKey ?? '';
          if (req.versionKey) {
            apps.push({ name: req.app ?? req.versionKey, versionKey: req.versionKey, deploymentZoneKey: zone });
            continue;
          }
          apps.push(versionInSource(await findApplication(req.app!), input, zone, notes));
        }
        return { apps, notes };
      });
    },

    /**
     * Step 3: create the plan, idempotently. The Notes carry a marker made from the workflow ID and its first
     * run ID; before creating, look for a plan with that marker (a retry after a lost response finds it).
     */
    async createPlan(input: {
      marker: string;
      notes: string;
      sourceKey: string;
      targetKey: string;
      apps: { versionKey: string; deploymentZoneKey: string }[];
    }): Promise<{ key: string; reused: boolean }> {
      return guard(async () => {
        const now = Date.now();
        const existing = await lt.deployments.list(
          {
            targetEnvironmentKey: input.targetKey,
            minDate: isoDate(new Date(now - 8 * 86_400_000)),
            maxDate: isoDate(new Date(now + 86_400_000)),
          },
          opts(),
        );
        const mine = existing.find((d) => d.Notes?.includes(input.marker));
        if (mine) {
          log.info('plan found by marker; not creating another', {
            planKey: mine.Key,
            attempt: activityInfo().attempt,
          });
          return { key: mine.Key, reused: true };
        }
        const notes = input.notes ? `${input.notes} ${input.marker}` : input.marker;
        const key = await lt.deployments.create(
          {
            Notes: notes,
            SourceEnvironmentKey: input.sourceKey,
            TargetEnvironmentKey: input.targetKey,
            ApplicationOperations: input.apps.map((a) => ({
              ApplicationVersionKey: a.versionKey,
              DeploymentZoneKey: a.deploymentZoneKey,
            })),
          },
          opts(),
        );
        log.info('plan created', { planKey: key });
        return { key, reused: false };
      });
    },

    /**
     * `--plan`: steps 1–3 in one: read a plan someone built in LifeTime (its environments, applications and status),
     * with names for display. A plan that does not exist is a non-retryable PlanNotUsable; its status is returned
     * for the workflow to judge.
     */
    async readPlan(key: string): Promise<{
      status: DeploymentStatus;
      source: EnvRef;
      target: EnvRef;
      apps: ResolvedApp[];
      notes: string;
      detailsUrl?: string;
    }> {
      return guard(async () => {
        let details;
        try {
          details = await lt.deployments.get(key, opts());
        } catch (err) {
          if (isLifeTimeError(err) && err.status === 404)
            throw failure('PlanNotUsable', `deployment plan ${key} was not found in LifeTime`, true);
          throw err;
        }
        const plan = details.Deployment;
        const status = (await lt.deployments.status(key, opts())).DeploymentStatus;
        const envs = await lt.environments.list(opts());
        const env = (k: string | undefined): EnvRef => ({
          key: k ?? '',
          name: envs.find((e) => e.Key === k)?.Name ?? k ?? '?',
        });
        const apps: ResolvedApp[] = [];
        for (const op of plan.ApplicationOperations ?? []) {
          const app = op.ApplicationKey ? await readApp(op.ApplicationKey) : undefined;
          const label = op.DeploymentOperation?.replace(/^Deploy\s+/i, '').trim();
          apps.push({
            ...(app ? { key: app.Key } : op.ApplicationKey ? { key: op.ApplicationKey } : {}),
            name: app?.Name ?? op.ApplicationKey ?? op.ApplicationVersionKey ?? '?',
            versionKey: op.ApplicationVersionKey ?? '',
            ...(label ? { versionLabel: label } : {}),
            deploymentZoneKey: op.DeploymentZoneKey ?? '',
          });
        }
        return {
          status,
          source: env(plan.SourceEnvironmentKey),
          target: env(plan.TargetEnvironmentKey),
          apps,
          notes: plan.Notes ?? '',
          detailsUrl: plan.DetailsURL,
        };
      });
    },

    /** Step 4: plan details (runs LifeTime's validation); conflicts in readable form. */
    async getPlan(key: string): Promise<{
      conflicts: string[];
      applicationsToRedeploy: string[];
      modulesToDelete: string[];
      detailsUrl?: string;
    }> {
      return guard(async () => {
        const d = await lt.deployments.get(key, opts());
        return {
          conflicts: d.ApplicationConflicts.map((c) => {
            const type = c.ModuleConflict?.ConflictType;
            const msg = c.Message ?? 'conflict';
            return type ? `${type}: ${msg}` : msg;
          }),
          applicationsToRedeploy: d.ApplicationsToRedeploy,
          modulesToDelete: d.ModulesToDelete.map((m) => m.Name ?? m.Key ?? '?'),
          detailsUrl: d.Deployment.DetailsURL,
        };
      });
    },

    /**
     * Step 5: start. After a failed or lost reply (a retry) our plan is read first: a started plan is not started
     * again. A refusal (400) is explained from what LifeTime shows: our plan already started → started; the target in
     * maintenance mode or offline → unavailable, and another active plan on the target → busy (both a policy matter
     * for the workflow: wait or fail); otherwise → StartRefused.
     */
    async startPlan(input: {
      key: string;
      targetKey: string;
      redeployOutdated: boolean;
      /** Start despite conflicts (they were approved at the gate). */
      continueWithErrors?: boolean;
    }): Promise<{ started: boolean; busy?: string; unavailable?: TargetUnavailability; reconciled?: string }> {
      return guard(async () => {
        if (activityInfo().attempt > 1 && (await isStarted(input.key))) {
          return { started: true, reconciled: 'the plan was already started (the reply to an earlier start was lost)' };
        }
        // A refusal with no other plan running may be a race with a plan that just ended: one more try.
        for (let attempt = 1; ; attempt++) {
          try {
            const { redeployOutdated, continueWithErrors } = input;
            await lt.deployments.start(input.key, { redeployOutdated, continueWithErrors }, opts());
            return { started: true };
          } catch (err) {
            if (!(isLifeTimeError(err) && err.status === 400)) throw err;
            const text = (err.lifetimeErrors ?? []).join(' ') || err.message;
            if (await isStarted(input.key)) {
              return { started: true, reconciled: `the plan was already started (LifeTime answered: ${text})` };
            }
            const unavailable = unavailableTarget(text);
            if (unavailable) return { started: false, unavailable };
            const other = await activePlanOn(input.targetKey, input.key);
            if (other) return { started: false, busy: `plan ${other.key} is ${other.status} on the target (${text})` };
            if (attempt >= 2) throw failure('StartRefused', `LifeTime refused to start the plan: ${text}`, true);
          }
        }
      });
    },

    /** Step 6: one status poll; returns only the log lines after `logFrom`. */
    async getStatus(input: {
      key: string;
      logFrom: number;
    }): Promise<{ status: DeploymentStatus; info: string; newLog: LogLine[]; logCount: number }> {
      return guard(async () => {
        const st = await lt.deployments.status(input.key, opts());
        const newLog = st.DeploymentLog.slice(input.logFrom).map((l) => ({
          instant: l.Instant?.toISOString(),
          message: l.Message,
          type: l.Type,
        }));
        return { status: st.DeploymentStatus, info: st.Info, newLog, logCount: st.DeploymentLog.length };
      });
    },

    /**
     * `continue` or `abort`. After a failed or lost reply (a retry), or on a refusal (400), the plan is read: a
     * command that took effect (continued: no longer waiting; aborted: aborting or aborted) is reported as accepted
     * and not sent again. Any other refusal is returned (not thrown): the workflow decides what it means (a `continue`
     * refused for a target in maintenance mode or offline comes with `unavailable`).
     */
    async sendCommand(input: {
      key: string;
      command: Exclude<DeploymentCommand, 'start'>;
    }): Promise<{ accepted: boolean; refusal?: string; unavailable?: TargetUnavailability; reconciled?: string }> {
      return guard(async () => {
        if (activityInfo().attempt > 1) {
          const done = await tookEffect(input.key, input.command);
          if (done)
            return { accepted: true, reconciled: `${input.command} had taken effect (${done}; a reply was lost)` };
        }
        try {
          await lt.deployments.command(input.key, input.command, {}, opts());
          return { accepted: true };
        } catch (err) {
          if (!(isLifeTimeError(err) && err.status === 400)) throw err;
          const refusal = (err.lifetimeErrors ?? []).join(' ') || err.message;
          const done = await tookEffect(input.key, input.command);
          if (done) return { accepted: true, reconciled: `${input.command} had taken effect (${done})` };
          const unavailable = input.command === 'continue' ? unavailableTarget(refusal) : undefined;
          return { accepted: false, refusal, ...(unavailable ? { unavailable } : {}) };
        }
      });
    },

    /**
     * The extension databases LifeTime still needs mapped for the plan (LifeTime 11.21.1+). An older LifeTime (404, or
     * 400 for a target without the capability) → `supported: false`, and the gate works without mappings.
     */
    async missingDbMappings(key: string): Promise<{ supported: boolean; missing: MissingMapping[] }> {
      return guard(async () => {
        try {
          const list = await lt.deployments.missingDbMappings(key, opts());
          return {
            supported: true,
            missing: list.map((m) => ({
              extensionKey: m.ExtensionKey,
              extension: m.ExtensionName ?? m.ExtensionKey,
              logicalDatabase: m.LogicalDatabase,
            })),
          };
        } catch (err) {
          if (isLifeTimeError(err) && (err.status === 404 || err.status === 400))
            return { supported: false, missing: [] };
          throw err;
        }
      });
    },

    /**
     * Sends database mappings (`POST …/configuration/`, which also resumes the plan in LifeTime), then reads the plan
     * and sends `continue` if it still waits. LifeTime's refusal (400) is returned, not thrown: the gate stays open.
     */
    async configureDbMappings(input: {
      key: string;
      mappings: { extensionKey: string; logicalDatabase: string; connection: string }[];
    }): Promise<{ configured: boolean; refusal?: string; continued?: boolean }> {
      return guard(async () => {
        const byExtension = new Map<string, { DatabaseName: string; LogicalDatabaseName: string }[]>();
        for (const m of input.mappings) {
          const list = byExtension.get(m.extensionKey) ?? [];
          list.push({ DatabaseName: m.connection, LogicalDatabaseName: m.logicalDatabase });
          byExtension.set(m.extensionKey, list);
        }
        const body = [...byExtension].map(([ExtensionKey, DBMapping]) => ({ ExtensionKey, DBMapping }));
        try {
          await lt.deployments.configureDbMappings(input.key, body, opts());
        } catch (err) {
          if (!(isLifeTimeError(err) && err.status === 400)) throw err;
          // A retry after a lost reply: the mapping took and the plan moved on.
          const status = (await lt.deployments.status(input.key, opts())).DeploymentStatus;
          if (activityInfo().attempt > 1 && status !== 'needs_user_intervention') return { configured: true };
          return { configured: false, refusal: (err.lifetimeErrors ?? []).join(' ') || err.message };
        }
        const status = (await lt.deployments.status(input.key, opts())).DeploymentStatus;
        if (status !== 'needs_user_intervention') return { configured: true, continued: false };
        await lt.deployments.command(input.key, 'continue', {}, opts());
        return { configured: true, continued: true };
      });
    },

    /** Deletes a saved plan. Already gone counts as deleted; a plan that is no longer saved is reported. */
    async deletePlan(key: string): Promise<{ deleted: boolean; refusal?: string }> {
      try {
        await lt.deployments.delete(key, opts());
        return { deleted: true };
      } catch (err) {
        if (isLifeTimeError(err) && err.status === 404) return { deleted: true };
        if (isLifeTimeError(err) && err.status === 400) {
          return { deleted: false, refusal: (err.lifetimeErrors ?? []).join(' ') || err.message };
        }
        throw toFailure(err);
      }
    },
  };
};

export type Activities = ReturnType<typeof createActivities>;
