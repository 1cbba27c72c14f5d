/**
 * The LifeTime API v2 endpoints the simulator serves (below `/lifetimeapi/rest/v2`). Bodies are built as the
 * zod input types of `src/lifetime/schemas.ts`; request bodies are parsed with the same schemas.
 */
import {
  ApplicationConfigurations,
  ApplicationVersionCreate,
  DbMappingConfiguration,
  DeploymentCommand,
  DeploymentCreate,
  DeploymentUpdate,
  MaintenanceModeSetting,
} from '../lifetime/schemas';
import type { SimCore } from './core';
import { empty, json, parseBody, queryBool, queryParam, text, type Reply, type Request, type Route } from './http';
import { fail, zodIssues } from './util';

type Handler = (sim: SimCore, p: Record<string, string>, req: Request) => Reply;
const route = (method: string, pattern: string, handle: Handler): Route<SimCore> => ({ method, pattern, handle });

/** IncludeEnvStatus / IncludeModules, with the documented 400 for modules without status. */
function includeFlags(req: Request): { envStatus: boolean; modules: boolean } {
  const envStatus = queryBool(req.query, 'IncludeEnvStatus') ?? false;
  const modules = queryBool(req.query, 'IncludeModules') ?? false;
  if (modules && !envStatus) throw fail(400, 'Request asked for Modules but not for Status.');
  return { envStatus, modules };
}

function mustEnv(sim: SimCore, key: string) {
  const env = sim.world.env(key);
  if (!env) throw fail(404, `Failed to retrieve the environment with key: ${key}.`);
  return env;
}
function mustApp(sim: SimCore, key: string) {
  const app = sim.world.app(key);
  if (!app) throw fail(404, `Failed to retrieve the application with key ${key}.`);
  return app;
}

/** Versions running somewhere or referenced by a plan (`InUse`). */
function versionsInUse(sim: SimCore): Set<string> {
  const keys = new Set<string>();
  for (const a of sim.world.data.applications) for (const s of a.environments) keys.add(s.version);
  for (const p of sim.plans.plans) for (const o of p.operations) keys.add(o.versionKey);
  return keys;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export const lifetimeRoutes: Route<SimCore>[] = [
  // ---- environments ----
  route('GET', '/environments/', (sim) => {
    const envs = sim.world.envsInOrder();
    return envs.length
      ? json(
          200,
          envs.map((e) => sim.world.environmentBody(e)),
        )
      : empty(204);
  }),
  route('GET', '/environments/{EnvironmentKey}/', (sim, p) =>
    json(200, sim.world.environmentBody(mustEnv(sim, p.EnvironmentKey!))),
  ),
  route('PUT', '/environments/{EnvironmentKey}/maintenancemode/', (sim, p, req) => {
    const env = mustEnv(sim, p.EnvironmentKey!);
    const body = parseBody(req, MaintenanceModeSetting, 'MaintenanceModeSetting');
    sim.world.setMaintenance(env, body.IsMaintenanceModeEnabled, body.Reason ?? '');
    return empty(200);
  }),
  route('GET', '/environments/{EnvironmentKey}/deploymentzones/', (sim, p) => {
    const env = sim.world.env(p.EnvironmentKey!);
    if (!env) throw fail(404, `Failed to retrieve the deployment zones of environment with key: ${p.EnvironmentKey}.`);
    return json(
      200,
      sim.world.zones(env).map((z) => sim.world.zoneBody(z)),
    );
  }),
  route('GET', '/environments/{EnvironmentKey}/applications/', (sim, p, req) => {
    const flags = includeFlags(req);
    const env = sim.world.env(p.EnvironmentKey!);
    if (!env)
      throw fail(
        404,
        `Failed to retrieve running applications for environment with key ${p.EnvironmentKey} because it was not found.`,
      );
    const apps = sim.world.data.applications.filter((a) => sim.world.running(a, env.key));
    if (apps.length === 0) return empty(204);
    return json(
      200,
      apps.map((a) => sim.world.applicationBody(a, { ...flags, onlyEnv: env.key })),
    );
  }),
  route('GET', '/environments/{EnvironmentKey}/applications/{ApplicationKey}/', (sim, p, req) => {
    const flags = includeFlags(req);
    const env = sim.world.env(p.EnvironmentKey!);
    const app = sim.world.app(p.ApplicationKey!);
    if (!env || !app || !sim.world.running(app, env.key))
      throw fail(
        404,
        `Failed to retrieve the environment with key ${p.EnvironmentKey} or the application with key ${p.ApplicationKey}.`,
      );
    return json(200, sim.world.applicationBody(app, { ...flags, onlyEnv: env.key }));
  }),
  route('POST', '/environments/{EnvironmentKey}/applications/{ApplicationKey}/versions/', (sim, p, req) => {
    mustEnv(sim, p.EnvironmentKey!);
    const body = parseBody(req, ApplicationVersionCreate, 'ApplicationVersionCreate');
    const key = sim.world.tag(p.EnvironmentKey!, p.ApplicationKey!, body, sim.now());
    return json(201, { ApplicationVersionKey: key });
  }),

  // ---- applications ----
  route('GET', '/applications/', (sim, _p, req) => {
    const flags = includeFlags(req);
    const apps = sim.world.data.applications;
    return apps.length
      ? json(
          200,
          apps.map((a) => sim.world.applicationBody(a, flags)),
        )
      : empty(204);
  }),
  route('GET', '/applications/{ApplicationKey}/', (sim, p, req) => {
    const flags = includeFlags(req);
    return json(200, sim.world.applicationBody(mustApp(sim, p.ApplicationKey!), flags));
  }),
  route('GET', '/applications/{ApplicationKey}/configurations/', (sim, p) =>
    json(200, sim.world.configurationsBody(mustApp(sim, p.ApplicationKey!))),
  ),
  route('PUT', '/applications/{ApplicationKey}/configurations/', (sim, p, req) => {
    const app = mustApp(sim, p.ApplicationKey!);
    const body = parseBody(req, ApplicationConfigurations, 'ApplicationConfigurations');
    for (const c of body.configurations)
      if (!sim.world.env(c.environmentKey))
        throw fail(
          404,
          `Application with key ${app.key} not found, or environment with key ${c.environmentKey} not found.`,
        );
    for (const c of body.configurations)
      sim.world.setBlocked(app, c.environmentKey, c.isBlocked, c.isBlockedChangeReason ?? '');
    return empty(204);
  }),
  route('GET', '/applications/{ApplicationKey}/versions/', (sim, p, req) => {
    const raw = queryParam(req.query, 'MaximumVersionsToReturn');
    const max = raw === undefined || raw === '' ? 5 : Number(raw);
    if (!Number.isInteger(max) || max < 0)
      throw fail(
        400,
        `Invalid request due to invalid max versions to return (${JSON.stringify(raw)}): it must be an integer of 0 or more.`,
      );
    const app = mustApp(sim, p.ApplicationKey!);
    const filter = queryParam(req.query, 'ChangeLogFilter')?.toLowerCase();
    const inUse = versionsInUse(sim);
    const list = sim.world
      .versionsNewestFirst(app)
      .filter((v) => !filter || v.changeLog.toLowerCase().includes(filter))
      .slice(0, max)
      .map((v) => sim.world.versionBody(app, v, { modules: false, inUse: inUse.has(v.key) }));
    return json(200, list);
  }),
  route('GET', '/applications/{ApplicationKey}/versions/{VersionKey}/', (sim, p, req) => {
    const modules = queryBool(req.query, 'IncludeModules') ?? false;
    const app = mustApp(sim, p.ApplicationKey!);
    const v = app.versions.find((x) => x.key === p.VersionKey);
    if (!v)
      throw fail(404, `Failed to retrieve the application version with key ${p.VersionKey} of application ${app.key}.`);
    return json(200, sim.world.versionBody(app, v, { modules, inUse: versionsInUse(sim).has(v.key) }));
  }),

  // ---- deployments ----
  route('GET', '/deployments/', (sim, _p, req) => {
    const today = sim.now();
    const min = queryParam(req.query, 'MinDate') || day(today - 7 * 86_400_000);
    const max = queryParam(req.query, 'MaxDate') || day(today);
    const target = queryParam(req.query, 'TargetEnvironmentKey') || undefined;
    const bad = [min, max].find((d) => !DATE.test(d) || Number.isNaN(Date.parse(d)));
    if (bad !== undefined || min > max)
      throw fail(
        400,
        `Invalid request for list of deployments created between ${min} and ${max} for environment key ${target ?? ''}: dates are YYYY-MM-DD and MinDate <= MaxDate.`,
      );
    const from = Date.parse(`${min}T00:00:00.000Z`);
    const to = Date.parse(`${max}T23:59:59.999Z`);
    const list = sim.plans.plans
      .map((plan, i) => ({ plan, i, t: Date.parse(plan.createdOn) }))
      .filter((x) => x.t >= from && x.t <= to && (!target || x.plan.target === target))
      .sort((a, b) => b.t - a.t || b.i - a.i)
      .map((x) => sim.views.deployment(x.plan));
    return list.length ? json(200, list) : empty(204);
  }),
  route('POST', '/deployments/', (sim, _p, req) => {
    const body = parseBody(req, DeploymentCreate, 'DeploymentData');
    return text(201, sim.plans.create(body).key);
  }),
  route('GET', '/deployments/{DeploymentKey}/', (sim, p) => {
    const plan = sim.plans.must(p.DeploymentKey!);
    return json(200, sim.views.details(plan, sim.plans.validate(plan)));
  }),
  route('PUT', '/deployments/{DeploymentKey}/', (sim, p, req) => {
    sim.plans.must(p.DeploymentKey!);
    const body = parseBody(req, DeploymentUpdate, 'DeploymentData');
    return json(200, sim.views.deploymentData(sim.plans.update(p.DeploymentKey!, body)));
  }),
  route('DELETE', '/deployments/{DeploymentKey}/', (sim, p) => {
    sim.plans.remove(p.DeploymentKey!);
    return empty(204);
  }),
  route('POST', '/deployments/{DeploymentKey}/{Command}/', (sim, p, req) => {
    sim.plans.must(p.DeploymentKey!);
    const command = DeploymentCommand.safeParse(p.Command!.toLowerCase());
    if (!command.success)
      throw fail(404, `Deployment with key ${p.DeploymentKey} not found, or command not found: ${p.Command}.`);
    const redeployOutdated = queryBool(req.query, 'RedeployOutdated') ?? false;
    const continueWithErrors = queryBool(req.query, 'ContinueWithErrors') ?? false;
    queryBool(req.query, 'IncludeErrorDetails');
    if (command.data === 'start') sim.plans.start(p.DeploymentKey!, { redeployOutdated, continueWithErrors });
    else if (command.data === 'continue') sim.plans.continue(p.DeploymentKey!);
    else sim.plans.abort(p.DeploymentKey!);
    return empty(202);
  }),
  route('GET', '/deployments/{DeploymentKey}/status/', (sim, p) => {
    const plan = sim.plans.must(p.DeploymentKey!);
    const body = sim.views.status(plan);
    if (sim.config.progression === 'per-poll' && !plan.held) sim.plans.engine.advanceOne(plan, sim.now());
    return json(200, body);
  }),
  route('GET', '/deployments/{DeploymentKey}/getmissingdbmappings/', (sim, p) => {
    const plan = sim.plans.get(p.DeploymentKey!);
    if (!plan) throw fail(400, 'The deployment provided does not exist');
    return json(200, sim.plans.impact.missingDbMappings(plan.operations, plan.target));
  }),
  route('POST', '/deployments/{DeploymentKey}/configuration/', (sim, p, req) => {
    if (!sim.plans.get(p.DeploymentKey!)) throw fail(404, 'The deployment provided does not exist');
    let raw: unknown;
    try {
      raw = JSON.parse(req.body);
    } catch {
      throw fail(400, 'Extension mappings were not provided');
    }
    const r = DbMappingConfiguration.safeParse(raw);
    if (!r.success) throw fail(400, ...zodIssues(r.error).map((m) => `Extension mappings were not provided: ${m}`));
    sim.plans.configure(p.DeploymentKey!, r.data);
    return text(200, 'Mapping succeeded and deployment triggered');
  }),
];
