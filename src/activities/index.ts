/**
 * Activities: thin adapters from workflow intent to the LifeTime client. Each calls the client, returns a
 * small camelCase result (history stays small) and turns failures into ApplicationFailures whose `type`
 * the workflow branches on.
 */
import { activityInfo, ApplicationFailure, cancellationSignal, log } from '@temporalio/activity';
import {
  isLifeTimeError,
  LifeTimeClient,
  UnknownApplicationError,
  UnknownEnvironmentError,
  type Application,
  type DeploymentCommand,
  type DeploymentStatus,
  type Environment,
} from '../lifetime';
import type { AppRequest, EnvRef, FailureType, LogLine, ResolvedApp } from '../workflows/messages';

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

/** Text LifeTime gives when a plan cannot start because the target is busy with another plan. */
const BUSY_TEXT = /running|in progress|another deployment|busy|parallel|being deployed|already/i;

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

export const createActivities = (lt: LifeTimeClient) => {
  const opts = () => ({ signal: cancellationSignal() });

  return {
    /** Step 1: environment names (or keys) → keys, matched exactly. */
    async resolveEnvironments(input: { source: string; target: string }): Promise<{ source: EnvRef; target: EnvRef }> {
      return guard(async () => {
        const envs = await lt.environments.list(opts());
        return { source: findEnv(envs, input.source), target: findEnv(envs, input.target) };
      });
    },

    /** Step 2: each application's base version key in the source environment. */
    async resolveVersions(input: {
      sourceKey: string;
      sourceName: string;
      apps: AppRequest[];
    }): Promise<{ apps: ResolvedApp[]; notes: string[] }> {
      return guard(async () => {
        const notes: string[] = [];
        const needsLookup = input.apps.some((a) => !a.versionKey);
        const all: Application[] = needsLookup ? await lt.applications.list({ includeEnvStatus: true }, opts()) : [];
        const apps = input.apps.map((req): ResolvedApp => {
          const zone = req.deploymentZoneKey ?? '';
          if (req.versionKey)
            return { name: req.app ?? req.versionKey, versionKey: req.versionKey, deploymentZoneKey: zone };
          const wanted = req.app!;
          const app = all.find((a) => a.Key === wanted) ?? all.find((a) => a.Name === wanted);
          if (!app)
            throw new UnknownApplicationError(
              wanted,
              all.map((a) => a.Name),
            );
          const inSource = app.AppStatusInEnvs?.find((s) => s.EnvironmentKey === input.sourceKey);
          if (!inSource || !inSource.BaseApplicationVersionKey) {
            throw failure(
              'UnknownApplicationVersion',
              `application "${app.Name}" has no tagged version in ${input.sourceName}; tag it there first`,
              true,
            );
          }
          if (inSource.IsModified) {
            notes.push(
              `${app.Name} has changes in ${input.sourceName} that are not tagged; deploying its last tag ` +
                `${inSource.BaseApplicationVersionLabel ?? inSource.BaseApplicationVersionKey} instead`,
            );
          }
          return {
            key: app.Key,
            name: app.Name,
            versionKey: inSource.BaseApplicationVersionKey,
            versionLabel: inSource.BaseApplicationVersionLabel,
            deploymentZoneKey: zone,
            isModified: inSource.IsModified ?? false,
          };
        });
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

    /** Step 4: plan details (runs LifeTime's validation); conflicts in readable form. */
    async getPlan(
      key: string,
    ): Promise<{ conflicts: string[]; applicationsToRedeploy: string[]; modulesToDelete: string[] }> {
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
        };
      });
    },

    /**
     * Step 5: start. A refusal because the target runs another plan is a policy matter for the workflow
     * (wait or fail), so it is returned, not thrown.
     */
    async startPlan(input: { key: string; redeployOutdated: boolean }): Promise<{ started: boolean; busy?: string }> {
      try {
        await lt.deployments.start(input.key, { redeployOutdated: input.redeployOutdated }, opts());
        return { started: true };
      } catch (err) {
        if (isLifeTimeError(err) && err.status === 400) {
          const text = (err.lifetimeErrors ?? []).join(' ');
          if (BUSY_TEXT.test(text)) return { started: false, busy: text };
        }
        throw toFailure(err);
      }
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

    /** `continue` or `abort`. A 400 refusal is returned (not thrown): the workflow decides what it means. */
    async sendCommand(input: {
      key: string;
      command: Exclude<DeploymentCommand, 'start'>;
    }): Promise<{ accepted: boolean; refusal?: string }> {
      try {
        await lt.deployments.command(input.key, input.command, {}, opts());
        return { accepted: true };
      } catch (err) {
        if (isLifeTimeError(err) && err.status === 400) {
          return { accepted: false, refusal: (err.lifetimeErrors ?? []).join(' ') || err.message };
        }
        throw toFailure(err);
      }
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
