/**
 * The simulator's data set ("SimData"): environments, deployment zones, applications with their modules,
 * tagged versions, dependencies and per-environment running state. The default is `seed.ts`; a JSON file
 * in this format can replace it (`--data file.json` / `startSimulator({ dataFile })`).
 *
 * Format (all keys are GUID-like strings; references between items use keys):
 * ```json
 * { "serviceAccount": { "name": "Deploy Service Account", "username": "sa_deploy" },
 *   "firstDeploymentKey": "dce64ad4-…",            // key of the first plan created by POST /deployments/
 *   "environments": [{ "key": "…", "name": "Production", "order": 2, "type": "Production",
 *       "zones": [{ "key": "…", "name": "Global", "isDefault": true }],
 *       "twoStepDeployment": false,                // pause with Info=deployment_prepared after stage 1
 *       "dbConnections": ["ArchiveProdDB"],        // names accepted by POST …/configuration/
 *       "dbMappings": [{ "extensionKey": "…", "logicalDatabase": "ArchiveDB", "databaseName": "…" }] }],
 *   "applications": [{ "key": "…", "name": "PayrollPortal", "kind": "WebResponsive", "team": "HR",
 *       "modules": [{ "key": "…", "name": "PayrollPortal", "kind": "eSpace" },
 *                   { "key": "…", "name": "PayrollExt", "kind": "Extension", "logicalDatabases": ["PayrollDB"] }],
 *       "versions": [{ "key": "…", "version": "1.2", "changeLog": "…", "createdOn": "2025-09-08T10:00:00.000Z",
 *                      "requires": [{ "application": "<HRCore key>", "minVersion": "1.2", "elements": 3 }] }],
 *       "environments": [{ "environment": "<env key>", "version": "<version key>", "isModified": false, "zone": "" }],
 *       "blockedIn": [{ "environment": "<env key>", "reason": "…" }] }] }
 * ```
 * `requires` says which producer application version (or later) a version needs in the target; a plan that
 * leaves the target with an older producer (or none) has an ApplicationConflict.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { zodIssues } from './util';

const key = z.string().min(1);

export const SimZone = z.strictObject({
  key,
  name: z.string().min(1),
  isDefault: z.boolean().default(false),
  technology: z.strictObject({ key: z.string(), name: z.string() }).optional(),
});

export const SimDbMapping = z.strictObject({
  extensionKey: key,
  logicalDatabase: z.string().min(1),
  databaseName: z.string().min(1),
});

export const SimEnvironment = z.strictObject({
  key,
  name: z.string().min(1),
  order: z.number().int().min(0).optional(),
  type: z.enum(['Development', 'Test', 'Production']).default('Development'),
  hostName: z.string().optional(),
  osVersion: z.string().default('11.27.0.43287'),
  useHttps: z.boolean().default(true),
  numberOfFrontEnds: z.number().int().min(1).default(1),
  applicationServerType: z.string().default('.NET'),
  applicationServer: z.string().default('IIS'),
  databaseProvider: z.string().default('SqlServer'),
  isCloudEnvironment: z.boolean().default(true),
  zones: z.array(SimZone).default([]),
  twoStepDeployment: z.boolean().default(false),
  dbConnections: z.array(z.string().min(1)).optional(),
  dbMappings: z.array(SimDbMapping).default([]),
  /** Maintenance mode (E17 `PUT /environments/{key}/maintenancemode`, or the admin API): `start` and `continue` are refused. */
  maintenance: z.strictObject({ enabled: z.boolean(), reason: z.string().default('') }).optional(),
  /** Offline (`IsOffline`): `start` and `continue` are refused. */
  offline: z.boolean().optional(),
});

export const SimModule = z.strictObject({
  key,
  name: z.string().min(1),
  kind: z.enum(['eSpace', 'Extension']).default('eSpace'),
  logicalDatabases: z.array(z.string().min(1)).default([]),
});

export const SimDependency = z.strictObject({
  /** Key of the producer application. */
  application: key,
  /** Lowest producer version label that has what the consumer needs. */
  minVersion: z.string().min(1),
  producerModule: key.optional(),
  consumerModule: key.optional(),
  elements: z.number().int().min(1).default(3),
});

export const SimVersion = z.strictObject({
  key,
  version: z.string().min(1),
  changeLog: z.string().default(''),
  createdOn: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date-time'),
  createdBy: z.string().optional(),
  /** The environment the version was tagged in. */
  environment: key.optional(),
  requires: z.array(SimDependency).default([]),
});

export const SimAppEnvStatus = z.strictObject({
  environment: key,
  /** Key of the last tagged version the running app is based on (`BaseApplicationVersionKey`). */
  version: key,
  isModified: z.boolean().default(false),
  /** Key of the deployment zone the app runs in; "" = the environment's default zone. */
  zone: z.string().default(''),
});

export const SimApplication = z.strictObject({
  key,
  name: z.string().min(1),
  kind: z.string().default('WebResponsive'),
  team: z.string().default(''),
  description: z.string().default(''),
  isSystem: z.boolean().default(false),
  urlPath: z.string().optional(),
  modules: z.array(SimModule).min(1),
  versions: z.array(SimVersion),
  environments: z.array(SimAppEnvStatus).default([]),
  blockedIn: z.array(z.strictObject({ environment: key, reason: z.string().default('') })).default([]),
});

const SimDataObject = z.strictObject({
  serviceAccount: z
    .strictObject({ name: z.string().min(1), username: z.string().min(1) })
    .default({ name: 'Deploy Service Account', username: 'sa_lifetime_deploy' }),
  firstDeploymentKey: key.optional(),
  environments: z.array(SimEnvironment),
  applications: z.array(SimApplication),
});

/** The data set, with its cross-references checked (every error names the path and the bad key). */
export const SimData = SimDataObject.superRefine((d, ctx) => {
  const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
  const envKeys = new Set<string>();
  const zoneKeys = new Map(d.environments.map((e) => [e.key, new Set(e.zones.map((z) => z.key))]));
  d.environments.forEach((e, i) => {
    if (envKeys.has(e.key)) issue(['environments', i, 'key'], `duplicate environment key ${e.key}`);
    envKeys.add(e.key);
    if (e.zones.filter((z) => z.isDefault).length > 1)
      issue(['environments', i, 'zones'], 'more than one default zone');
  });
  const appKeys = new Set(d.applications.map((a) => a.key));
  const seen = new Set<string>();
  d.applications.forEach((a, i) => {
    if (seen.has(a.key)) issue(['applications', i, 'key'], `duplicate application key ${a.key}`);
    seen.add(a.key);
    const versionKeys = new Set(a.versions.map((v) => v.key));
    a.versions.forEach((v, j) =>
      v.requires.forEach((r, k) => {
        if (!appKeys.has(r.application) || r.application === a.key)
          issue(['applications', i, 'versions', j, 'requires', k, 'application'], `unknown producer ${r.application}`);
      }),
    );
    a.environments.forEach((s, j) => {
      if (!envKeys.has(s.environment))
        issue(['applications', i, 'environments', j, 'environment'], `unknown environment ${s.environment}`);
      if (!versionKeys.has(s.version))
        issue(['applications', i, 'environments', j, 'version'], `unknown version ${s.version} of ${a.name}`);
      if (s.zone && envKeys.has(s.environment) && !zoneKeys.get(s.environment)?.has(s.zone))
        issue(
          ['applications', i, 'environments', j, 'zone'],
          `unknown deployment zone ${s.zone} of environment ${s.environment}`,
        );
    });
    a.blockedIn.forEach((b, j) => {
      if (!envKeys.has(b.environment))
        issue(['applications', i, 'blockedIn', j, 'environment'], `unknown environment ${b.environment}`);
    });
  });
});
export type SimData = z.output<typeof SimData>;
export type SimDataInput = z.input<typeof SimData>;
export type SimEnvironment = z.output<typeof SimEnvironment>;
export type SimApplication = z.output<typeof SimApplication>;
export type SimVersion = z.output<typeof SimVersion>;
export type SimModule = z.output<typeof SimModule>;
export type SimDependency = z.output<typeof SimDependency>;

/** Parses a data set; throws an Error listing every problem by path. */
export function parseSimData(raw: unknown, source = 'data'): SimData {
  const r = SimData.safeParse(raw);
  if (!r.success) throw new Error(`invalid simulator ${source}:\n  ${zodIssues(r.error).join('\n  ')}`);
  return r.data;
}

/** Reads and validates a JSON data file. */
export function loadDataFile(path: string): SimData {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read simulator data file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseSimData(raw, `data file ${path}`);
}

/** A deep copy (the running simulator mutates its copy; `reset` goes back to the original). */
export const cloneData = (d: SimData): SimData => structuredClone(d);
