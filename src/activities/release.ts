/**
 * A release's LifeTime reads and its one write (tagging): the route's environments, the versions pinned in the first
 * environment (tagging modified applications when asked), and what a stage's target runs of each pinned application.
 */
import { activityInfo, ApplicationFailure, log } from '@temporalio/activity';
import {
  isLifeTimeError,
  UnknownEnvironmentError,
  type Application,
  type Environment,
  type LifeTimeClient,
} from '../lifetime';
import type { EnvRef } from '../workflows/messages';
import type { PinnedApp, RunningVersion } from '../workflows/release-messages';

/** Where a target stands against a pinned version. */
export type Relation = 'absent' | 'older' | 'same' | 'newer';

export interface TargetApp {
  name: string;
  running?: RunningVersion;
  relation: Relation;
  /** The pinned zone's key in this target ("" = the target's default / the application's current zone). */
  zoneKey: string;
}

/**
 * Compares two version labels made of dot-separated numbers (`1.10` > `1.9`); undefined when either is not of
 * that form (then the versions' creation dates decide).
 */
export function compareLabels(a: string | undefined, b: string | undefined): number | undefined {
  const parts = (v: string | undefined) => (v && /^\d+(\.\d+)*$/.test(v) ? v.split('.').map(Number) : undefined);
  const x = parts(a);
  const y = parts(b);
  if (!x || !y) return undefined;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** The next label after `label`: its last number plus one (`2.1` → `2.2`); a label without numbers gets `.1`. */
export function bumpLabel(label: string | undefined): string {
  if (!label) return '1.0';
  const m = /^(.*?)(\d+)(\D*)$/.exec(label);
  return m ? `${m[1]}${Number(m[2]) + 1}${m[3]}` : `${label}.1`;
}

function findEnv(envs: Environment[], wanted: string): EnvRef {
  const hit =
    envs.find((e) => e.Key === wanted) ??
    envs.find((e) => e.Name === wanted) ??
    envs.find((e) => e.Name.toLowerCase() === wanted.toLowerCase());
  if (!hit)
    throw new UnknownEnvironmentError(
      wanted,
      envs.map((e) => e.Name),
    );
  return { key: hit.Key, name: hit.Name };
}

/** The changelog marker of a version tagged by a release (a retried tag finds its own version by it). */
const tagMarker = (releaseId: string) => `[lifetime-deploy release ${releaseId}]`;

export function releaseActivities(
  lt: LifeTimeClient,
  deps: {
    findApplication(wanted: string): Promise<Application>;
    guard<T>(fn: () => Promise<T>): Promise<T>;
    opts(): { signal: AbortSignal };
  },
) {
  const { findApplication, guard, opts } = deps;

  /** The application's status in one environment (undefined: not there). */
  const statusIn = async (envKey: string, appKey: string) => {
    try {
      const app = await lt.environments.application(envKey, appKey, { includeEnvStatus: true }, opts());
      return app.AppStatusInEnvs?.find((s) => s.EnvironmentKey === envKey);
    } catch (err) {
      if (isLifeTimeError(err) && err.status === 404) return undefined;
      throw err;
    }
  };

  /** Whether version `a` is newer than `b` of one application: by label, else by creation date. */
  const isNewer = async (appKey: string, a: RunningVersion, b: PinnedApp): Promise<boolean> => {
    const byLabel = compareLabels(a.versionLabel, b.versionLabel);
    if (byLabel !== undefined) return byLabel > 0;
    const [va, vb] = await Promise.all([
      lt.applications.version(appKey, a.versionKey!, {}, opts()),
      lt.applications.version(appKey, b.versionKey, {}, opts()),
    ]);
    return !!va.CreatedOn && !!vb.CreatedOn && va.CreatedOn.getTime() > vb.CreatedOn.getTime();
  };

  return {
    /** A release's route: environment names (or keys) → keys, in order. */
    async resolveRoute(input: { route: string[] }): Promise<EnvRef[]> {
      return guard(async () => {
        const envs = await lt.environments.list(opts());
        return input.route.map((r) => findEnv(envs, r));
      });
    },

    /**
     * Pins each application's version in the first environment. With `tagModified`, an application with untagged
     * changes is tagged first (label bumped from its last tag) and the new version is pinned; a retry after a lost
     * reply finds the version it tagged by the release's marker in the change log.
     */
    async pinVersions(input: {
      source: EnvRef;
      apps: string[];
      tagModified: boolean;
      releaseId: string;
      /** Also pin each application's deployment zone (by name) in the source: for a manifest. */
      withZones?: boolean;
    }): Promise<{ pinned: PinnedApp[]; tagged: { name: string; versionLabel: string }[]; notes: string[] }> {
      return guard(async () => {
        const pinned: PinnedApp[] = [];
        const tagged: { name: string; versionLabel: string }[] = [];
        const notes: string[] = [];
        const zones = input.withZones ? await lt.environments.deploymentZones(input.source.key, opts()) : [];
        const zoneName = (key: string | undefined) =>
          (zones.find((z) => z.Key === key) ?? zones.find((z) => z.IsDefault))?.Name;
        for (const wanted of input.apps) {
          const app = await findApplication(wanted);
          const st = app.AppStatusInEnvs?.find((s) => s.EnvironmentKey === input.source.key);
          if (!st?.BaseApplicationVersionKey) {
            throw ApplicationFailure.create({
              type: 'UnknownApplicationVersion',
              message: `application "${app.Name}" is not in ${input.source.name} (or has no tagged version there); a release pins its versions in the route's first environment`,
              nonRetryable: true,
            });
          }
          let versionKey = st.BaseApplicationVersionKey;
          let versionLabel = st.BaseApplicationVersionLabel;
          if (st.IsModified && input.tagModified) {
            const created = await tagNext(app, input.source, versionLabel, input.releaseId);
            versionKey = created.key;
            versionLabel = created.label;
            tagged.push({ name: app.Name, versionLabel });
          } else if (st.IsModified) {
            notes.push(
              `${app.Name} has untagged changes in ${input.source.name}; its last tag ${versionLabel ?? versionKey} is pinned (tagModified tags it first)`,
            );
          } else if (input.tagModified && activityInfo().attempt > 1) {
            // A retry: this attempt's earlier try may have tagged it (the reply was lost).
            const v = await lt.applications.version(app.Key, versionKey, {}, opts());
            if (v.ChangeLog?.includes(tagMarker(input.releaseId)))
              tagged.push({ name: app.Name, versionLabel: v.Version ?? '' });
          }
          const zone = input.withZones ? zoneName(st.DeploymentZoneKey) : undefined;
          pinned.push({ key: app.Key, name: app.Name, versionKey, versionLabel, ...(zone ? { zoneName: zone } : {}) });
        }
        return { pinned, tagged, notes };
      });
    },

    /**
     * What a stage's target runs of each pinned application, and the pinned zone's key there. The workflow decides:
     * `same` is skipped, `newer` stops the release (unless downgrades are allowed), the rest is deployed.
     */
    async inspectTarget(input: { target: EnvRef; pinned: PinnedApp[] }): Promise<{ apps: TargetApp[] }> {
      return guard(async () => {
        const zones = input.pinned.some((p) => p.zoneName)
          ? await lt.environments.deploymentZones(input.target.key, opts())
          : [];
        const apps: TargetApp[] = [];
        for (const p of input.pinned) {
          let zoneKey = '';
          if (p.zoneName) {
            const zone = zones.find((z) => z.Name === p.zoneName);
            if (!zone)
              throw ApplicationFailure.create({
                type: 'UnknownDeploymentZone',
                message: `deployment zone "${p.zoneName}" of ${p.name} does not exist in ${input.target.name} (zones there: ${zones.map((z) => z.Name).join(', ') || 'none'})`,
                nonRetryable: true,
              });
            zoneKey = zone.Key;
          }
          const st = await statusIn(input.target.key, p.key);
          if (!st?.BaseApplicationVersionKey) {
            apps.push({ name: p.name, relation: 'absent', zoneKey });
            continue;
          }
          const running: RunningVersion = {
            name: p.name,
            key: p.key,
            versionKey: st.BaseApplicationVersionKey,
            versionLabel: st.BaseApplicationVersionLabel,
          };
          const relation: Relation =
            running.versionKey === p.versionKey
              ? 'same'
              : running.versionKey !== p.versionKey && (await isNewer(p.key, running, p))
                ? 'newer'
                : 'older';
          apps.push({ name: p.name, running, relation, zoneKey });
        }
        return { apps };
      });
    },
  };

  /** Tags the application's running state in `env` as the next free label after `from`. */
  async function tagNext(
    app: Application,
    env: EnvRef,
    from: string | undefined,
    releaseId: string,
  ): Promise<{ key: string; label: string }> {
    let label = bumpLabel(from);
    for (let tries = 0; ; tries++) {
      try {
        const r = await lt.environments.tagVersion(
          env.key,
          app.Key,
          { Version: label, ChangeLog: `Tagged for a release ${tagMarker(releaseId)}`, MobileVersions: [] },
          opts(),
        );
        log.info('application tagged', { application: app.Name, version: label });
        return { key: r.ApplicationVersionKey, label };
      } catch (err) {
        // A label taken by another version: the next one (a few tries, then LifeTime's answer stands).
        if (
          tries < 20 &&
          isLifeTimeError(err) &&
          err.status === 400 &&
          /exist/i.test([...(err.lifetimeErrors ?? []), err.message].join(' '))
        ) {
          label = bumpLabel(label);
          continue;
        }
        throw err;
      }
    }
  }
}
