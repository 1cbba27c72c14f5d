/**
 * The infrastructure the simulator pretends to be: environments, zones, applications, versions and what runs
 * where. Lookups, the LifeTime response bodies for these resources (typed as the zod *input* of the shared
 * wire schemas), tagging, and the effect of a finished deployment on the target.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type {
  Application,
  ApplicationConfigurations,
  ApplicationVersion,
  AppStatusInEnv,
  DeploymentZone,
  Environment,
  ModuleStatusInEnv,
} from '../lifetime/schemas';
import type { SimApplication, SimData, SimEnvironment, SimModule, SimVersion } from './data';
import { compareVersionLabels, fail, iso, stableUuid } from './util';

export type EnvironmentBody = z.input<typeof Environment>;
export type ZoneBody = z.input<typeof DeploymentZone>;
export type ApplicationBody = z.input<typeof Application>;
export type AppStatusBody = z.input<typeof AppStatusInEnv>;
export type VersionBody = z.input<typeof ApplicationVersion>;
export type ConfigurationsBody = z.input<typeof ApplicationConfigurations>;
type ModuleStatusBody = z.input<typeof ModuleStatusInEnv>;

export interface Zone {
  key: string;
  name: string;
  isDefault: boolean;
  technology?: { key: string; name: string };
}

export class World {
  constructor(
    public data: SimData,
    private readonly origin: () => string,
  ) {
    this.settleZones();
  }

  /**
   * Deployment zones are real: every environment gets its zones written out (a "Global" default when the data
   * names none; the first zone is the default when none is marked), and every running application runs in a
   * named zone ("" in the data = the environment's default zone), so `DeploymentZoneKey` is never "".
   */
  private settleZones(): void {
    for (const env of this.data.environments) {
      env.zones = this.zones(env);
      const fallback = this.defaultZone(env).key;
      for (const app of this.data.applications) {
        const s = this.running(app, env.key);
        if (s && !s.zone) s.zone = fallback;
      }
    }
  }

  // ---- lookups -------------------------------------------------------------------------------------------

  env(key: string): SimEnvironment | undefined {
    return this.data.environments.find((e) => e.key === key);
  }
  /** By key, or by name (case-insensitive); for admin inputs. */
  envByRef(ref: string): SimEnvironment | undefined {
    return this.env(ref) ?? this.data.environments.find((e) => e.name.toLowerCase() === ref.toLowerCase());
  }
  app(key: string): SimApplication | undefined {
    return this.data.applications.find((a) => a.key === key);
  }
  appByRef(ref: string): SimApplication | undefined {
    return this.app(ref) ?? this.data.applications.find((a) => a.name.toLowerCase() === ref.toLowerCase());
  }
  /** The application version with this key, and its application. */
  version(versionKey: string): { app: SimApplication; version: SimVersion } | undefined {
    for (const app of this.data.applications) {
      const version = app.versions.find((v) => v.key === versionKey);
      if (version) return { app, version };
    }
    return undefined;
  }
  envsInOrder(): SimEnvironment[] {
    return this.data.environments
      .map((e, i) => ({ e, o: e.order ?? i }))
      .sort((a, b) => a.o - b.o)
      .map((x) => x.e);
  }
  zones(env: SimEnvironment): Zone[] {
    if (env.zones.length === 0) return [{ key: stableUuid('zone', env.key), name: 'Global', isDefault: true }];
    const hasDefault = env.zones.some((z) => z.isDefault);
    return env.zones.map((z, i) => ({ ...z, isDefault: z.isDefault || (!hasDefault && i === 0) }));
  }
  defaultZone(env: SimEnvironment): Zone {
    const zones = this.zones(env);
    return zones.find((z) => z.isDefault) ?? zones[0]!;
  }
  running(app: SimApplication, envKey: string): SimApplication['environments'][number] | undefined {
    return app.environments.find((s) => s.environment === envKey);
  }
  /** The application's version running (as base) in the environment, if the app is there. */
  runningVersion(app: SimApplication, envKey: string): SimVersion | undefined {
    const s = this.running(app, envKey);
    return s ? app.versions.find((v) => v.key === s.version) : undefined;
  }
  blockedIn(app: SimApplication, envKey: string): { reason: string } | undefined {
    return app.blockedIn.find((b) => b.environment === envKey);
  }
  moduleVersionKey(versionKey: string, module: SimModule): string {
    return stableUuid('module-version', versionKey, module.key);
  }
  /** Versions newest first (by CreatedOn, then by label). */
  versionsNewestFirst(app: SimApplication): SimVersion[] {
    return [...app.versions].sort(
      (a, b) => Date.parse(b.createdOn) - Date.parse(a.createdOn) || compareVersionLabels(b.version, a.version),
    );
  }

  // ---- response bodies -----------------------------------------------------------------------------------

  environmentBody(env: SimEnvironment): EnvironmentBody {
    const order = env.order ?? this.data.environments.indexOf(env);
    return {
      Key: env.key,
      Name: env.name,
      OSVersion: env.osVersion,
      Order: order,
      DetailsURL: `${this.origin()}/lifetime/Environment_Details.aspx?EnvironmentKey=${env.key}`,
      HostName: env.hostName ?? `${env.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example.com`,
      UseHTTPS: env.useHttps,
      EnvironmentType: env.type,
      NumberOfFrontEnds: env.numberOfFrontEnds,
      ApplicationServerType: env.applicationServerType,
      ApplicationServer: env.applicationServer,
      DatabaseProvider: env.databaseProvider,
      IsCloudEnvironment: env.isCloudEnvironment,
      ...(env.offline !== undefined ? { IsOffline: env.offline } : {}),
    };
  }

  /**
   * Why LifeTime refuses `start` / `continue` on plans to this environment (reference §5.1, §7.6): maintenance mode or
   * offline; undefined when it is available.
   */
  unavailability(env: SimEnvironment): string | undefined {
    if (env.maintenance?.enabled)
      return `The ${env.name} environment is in maintenance mode${env.maintenance.reason ? ` (${env.maintenance.reason})` : ''}.`;
    if (env.offline) return `The ${env.name} environment is offline.`;
    return undefined;
  }

  setMaintenance(env: SimEnvironment, enabled: boolean, reason: string): void {
    env.maintenance = { enabled, reason };
  }

  zoneBody(z: Zone): ZoneBody {
    return {
      Key: z.key,
      Name: z.name,
      IsDefault: z.isDefault,
      DeploymentTechnology: z.technology
        ? { Key: z.technology.key, Name: z.technology.name }
        : { Key: stableUuid('technology', 'classic'), Name: 'Classic' },
    };
  }

  appStatusBody(app: SimApplication, envKey: string, withModules: boolean): AppStatusBody | undefined {
    const s = this.running(app, envKey);
    const v = s && app.versions.find((x) => x.key === s.version);
    if (!s || !v) return undefined;
    const body: AppStatusBody = {
      EnvironmentKey: envKey,
      BaseApplicationVersionKey: v.key,
      BaseApplicationVersionLabel: v.version,
      IsModified: s.isModified,
      IsModifiedReason: s.isModified ? 'Module_Modified' : '',
      IsModifiedMessage: s.isModified ? `At least one module was modified since the version ${v.version}` : '',
      ConsistencyStatus: 'OK',
      ConsistencyStatusMessages: '',
      MobileAppsStatus: [],
      DeploymentZoneKey: s.zone,
    };
    if (withModules) {
      body.ModuleStatusInEnvs = app.modules.map((m): ModuleStatusBody => ({
        ApplicationKey: app.key,
        EnvironmentKey: envKey,
        ModuleVersionKey: this.moduleVersionKey(v.key, m),
        ConsistencyStatus: 'OK',
        ConsistencyStatusMessages: '',
      }));
    }
    return body;
  }

  /** `Application`; with `envStatus`, `AppStatusInEnvs` for every environment (or only `onlyEnv`). */
  applicationBody(
    app: SimApplication,
    opts: { envStatus: boolean; modules: boolean; onlyEnv?: string },
  ): ApplicationBody {
    const body: ApplicationBody = {
      Key: app.key,
      Name: app.name,
      Kind: app.kind,
      Team: app.team,
      Description: app.description,
      URLPath: app.urlPath ?? app.name,
      IconHash: stableUuid('icon', app.key).replace(/-/g, ''),
      IconURL: `${this.origin()}/lifetime/img/AppIcon.png?ApplicationKey=${app.key}`,
      DetailsURL: `${this.origin()}/lifetime/Application.aspx?ApplicationKey=${app.key}`,
      IsSystem: app.isSystem,
    };
    if (opts.envStatus) {
      const envs = opts.onlyEnv ? [opts.onlyEnv] : this.envsInOrder().map((e) => e.key);
      body.AppStatusInEnvs = envs.flatMap((k) => this.appStatusBody(app, k, opts.modules) ?? []);
    }
    return body;
  }

  versionBody(app: SimApplication, v: SimVersion, opts: { modules: boolean; inUse: boolean }): VersionBody {
    const body: VersionBody = {
      Key: v.key,
      ApplicationKey: app.key,
      Version: v.version,
      ChangeLog: v.changeLog,
      CreatedOn: v.createdOn,
      InUse: opts.inUse,
      MobileVersions: [],
      PrimaryColor: '#1068EB',
      NativeHash: '',
      EnvironmentKey: v.environment ?? '',
    };
    if (opts.modules) {
      body.ModuleVersions = app.modules.map((m) => ({
        Key: this.moduleVersionKey(v.key, m),
        ModuleKey: m.key,
        CreatedOn: v.createdOn,
        CreatedBy: v.createdBy ?? this.data.serviceAccount.name,
        CreatedByUsername: (v.createdBy ?? this.data.serviceAccount.username).toLowerCase().replace(/\s+/g, '.'),
        GeneralHash: stableUuid('hash', v.key, m.key).replace(/-/g, ''),
        DirectUpgradeFromHash: '',
      }));
    }
    return body;
  }

  configurationsBody(app: SimApplication): ConfigurationsBody {
    return {
      configurations: this.envsInOrder().map((e) => {
        const b = this.blockedIn(app, e.key);
        return { environmentKey: e.key, isBlocked: Boolean(b), isBlockedChangeReason: b?.reason ?? '' };
      }),
    };
  }

  // ---- changes -------------------------------------------------------------------------------------------

  /** `POST /environments/{env}/applications/{app}/versions/`: tags the running state as a new version. */
  tag(envKey: string, appKey: string, body: { Version: string; ChangeLog?: string }, now: number): string {
    const app = this.app(appKey);
    const env = this.env(envKey);
    const running = app && this.running(app, envKey);
    if (!app || !env || !running) throw fail(404, 'Environment or application not found.');
    if (app.versions.some((v) => v.version === body.Version))
      throw fail(400, `Invalid request. Version ${body.Version} already exists for application ${app.name}.`);
    const base = app.versions.find((v) => v.key === running.version);
    const key = randomUUID();
    app.versions.push({
      key,
      version: body.Version,
      changeLog: body.ChangeLog ?? '',
      createdOn: iso(now),
      createdBy: this.data.serviceAccount.name,
      environment: envKey,
      requires: structuredClone(base?.requires ?? []),
    });
    running.version = key;
    running.isModified = false;
    return key;
  }

  /**
   * After a successful deployment: the target now runs these versions (and is no longer modified), in the zone
   * the plan named; a plan that gave "" keeps the app in its current zone there, or puts it in the default one.
   */
  setRunning(appKey: string, envKey: string, versionKey: string, planZone: string): void {
    const app = this.app(appKey);
    const env = this.env(envKey);
    if (!app || !env) return;
    const s = this.running(app, envKey);
    const zone = planZone || s?.zone || this.defaultZone(env).key;
    if (s) Object.assign(s, { version: versionKey, isModified: false, zone });
    else app.environments.push({ environment: envKey, version: versionKey, isModified: false, zone });
  }

  setBlocked(app: SimApplication, envKey: string, blocked: boolean, reason: string): void {
    app.blockedIn = app.blockedIn.filter((b) => b.environment !== envKey);
    if (blocked) app.blockedIn.push({ environment: envKey, reason });
  }
}
