/**
 * The LifeTime API surface: authentication, path and query tolerance, 204/404/405, the application and
 * environment endpoints, tagging, the deployment list filters and create/update validation.
 */
import { Application, DeploymentDetails, Environment } from '../../src/lifetime/schemas';
import type { SimulatorHandle } from '../../src/simulator';
import { Api, DEV, K, planBody, PROD, QA, startTestSimulator, useTestSimulator } from './helpers';

let sim: SimulatorHandle;
let api: Api;
useTestSimulator((started) => ({ sim, api } = started));

type AppBody = {
  Key: string;
  Name: string;
  AppStatusInEnvs?: {
    EnvironmentKey: string;
    BaseApplicationVersionKey: string;
    BaseApplicationVersionLabel: string;
    IsModified: boolean;
    IsModifiedMessage: string;
    ModuleStatusInEnvs?: unknown[];
  }[];
};
const HRCORE_10 = '3e8f5a1c-0010-4c9e-a6f0-1d2b3c4e5f60';
type Version = { Key: string; Version: string; InUse: boolean; ModuleVersions?: unknown[]; CreatedOn: string };

describe('authentication', () => {
  test.each([
    ['no Authorization header', undefined],
    ['a wrong token', 'Bearer nope'],
    ['the token with a suffix', 'Bearer lifetime-simulator-token-2'],
    ['another scheme', 'Basic lifetime-simulator-token'],
  ])('%s → 401 with an Exception body', async (_name, authorization) => {
    const r = await fetch(`${sim.url}/environments/`, { headers: authorization ? { authorization } : {} });
    expect(r.status).toBe(401);
    const body = (await r.json()) as { Errors: string[]; StatusCode: number };
    expect(body.StatusCode).toBe(401);
    expect(body.Errors).toHaveLength(1);
  });

  test('the right token passes, the scheme is case-insensitive, and the request log never holds the token', async () => {
    const r = await fetch(`${sim.url}/environments/`, { headers: { authorization: `bearer ${sim.token}` } });
    expect(r.status).toBe(200);
    await fetch(`${sim.url}/environments/`, { headers: { authorization: 'Bearer wrong' } });
    expect(sim.requests().map((x) => x.status)).toEqual([200, 401]);
    expect(JSON.stringify(sim.requests())).not.toContain(sim.token);
    expect(JSON.stringify(await (await fetch(`${sim.origin}/_sim/requests`)).json())).not.toContain(sim.token);
  });

  test('a custom token replaces the default', async () => {
    const other = await startTestSimulator({ token: 's3cret' });
    try {
      expect((await new Api(other.sim, 'lifetime-simulator-token').get('/environments/')).status).toBe(401);
      expect((await new Api(other.sim, 's3cret').get('/environments/')).status).toBe(200);
    } finally {
      await other.sim.close();
    }
  });
});

describe('paths and query values', () => {
  test('paths work with and without a trailing slash', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    for (const p of [
      '/environments',
      '/environments/',
      `/environments/${PROD}`,
      `/deployments/${key}`,
      `/deployments/${key}/status`,
    ])
      expect((await api.get(p)).status).toBe(200);
    expect((await api.post(`/deployments/${key}/start`)).status).toBe(202);
    expect((await api.post(`/deployments/${key}/abort`)).status).toBe(202);
  });

  test('boolean query values are case-insensitive; anything else is a 400 naming the parameter', async () => {
    for (const v of ['true', 'True', 'TRUE']) {
      const apps = (await api.get(`/applications/?IncludeEnvStatus=${v}`)).json<AppBody[]>();
      expect(apps[0]!.AppStatusInEnvs).toBeDefined();
    }
    for (const v of ['false', 'False']) {
      const apps = (await api.get(`/applications/?IncludeEnvStatus=${v}`)).json<AppBody[]>();
      expect(apps[0]!.AppStatusInEnvs).toBeUndefined();
    }
    const bad = await api.get('/applications/?IncludeEnvStatus=yes');
    expect(bad.status).toBe(400);
    expect(bad.json<{ Errors: string[] }>().Errors[0]).toContain('IncludeEnvStatus');
  });

  test('unknown routes → 404 Exception; a known path with another method → 405', async () => {
    const r = await api.get('/nothing/here/');
    expect(r.status).toBe(404);
    expect(r.json()).toEqual({ Errors: [expect.stringContaining('/nothing/here/')], StatusCode: 404 });
    expect((await fetch(`${sim.origin}/somewhere`)).status).toBe(404);
    const m = await api.call('PATCH', '/environments/');
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('GET');
  });

  test('204 with an empty body on empty lists', async () => {
    expect((await api.get('/deployments/')).status).toBe(204);
    const empty = await startTestSimulator({ data: { environments: [{ key: 'e', name: 'Only' }], applications: [] } });
    try {
      for (const p of ['/applications/', '/environments/e/applications/', '/deployments/']) {
        const r = await empty.api.get(p);
        expect([r.status, r.text]).toEqual([204, '']);
      }
      const none = await startTestSimulator({ data: { environments: [], applications: [] } });
      expect((await none.api.get('/environments/')).status).toBe(204);
      await none.sim.close();
    } finally {
      await empty.sim.close();
    }
  });
});

describe('environments and applications', () => {
  test('environments in order, zones with one default, 404 for unknown keys', async () => {
    const envs = (await api.get('/environments/')).json<{ Name: string; Order: number; EnvironmentType: string }[]>();
    expect(envs.map((e) => [e.Name, e.Order, e.EnvironmentType])).toEqual([
      ['Development', 0, 'Development'],
      ['Quality', 1, 'Test'],
      ['Production', 2, 'Production'],
    ]);
    const zones = (await api.get(`/environments/${PROD}/deploymentzones/`)).json<
      { Name: string; IsDefault: boolean }[]
    >();
    expect(zones.map((z) => [z.Name, z.IsDefault])).toEqual([
      ['Global', true],
      ['Internal', false],
    ]);
    expect((await api.get('/environments/nope/')).status).toBe(404);
    expect((await api.get('/environments/nope/deploymentzones/')).status).toBe(404);
  });

  test('IncludeModules without IncludeEnvStatus → 400 on every application endpoint', async () => {
    for (const p of [
      '/applications/',
      `/applications/${K.hrCore}/`,
      `/environments/${DEV}/applications/`,
      `/environments/${DEV}/applications/${K.hrCore}/`,
    ]) {
      const r = await api.get(`${p}?IncludeModules=true`);
      expect([p, r.status]).toEqual([p, 400]);
      expect((await api.get(`${p}?IncludeModules=true&IncludeEnvStatus=true`)).status).toBe(200);
    }
  });

  test('running apps of an environment; one app in an environment (404 when it is not there)', async () => {
    const prod = (await api.get(`/environments/${PROD}/applications/?IncludeEnvStatus=true&IncludeModules=true`)).json<
      AppBody[]
    >();
    expect(prod.map((a) => a.Name)).not.toContain('DocumentArchive');
    expect(prod.every((a) => a.AppStatusInEnvs!.length === 1 && a.AppStatusInEnvs![0]!.EnvironmentKey === PROD)).toBe(
      true,
    );
    expect(prod[0]!.AppStatusInEnvs![0]!.ModuleStatusInEnvs!.length).toBeGreaterThan(0);
    expect((await api.get(`/environments/${PROD}/applications/${K.documentArchive}/`)).status).toBe(404);
    expect((await api.get(`/environments/${QA}/applications/${K.documentArchive}/`)).status).toBe(200);
    expect((await api.get(`/environments/nope/applications/`)).status).toBe(404);
  });

  test('an app modified since its last tag: IsModified, and BaseApplicationVersionKey is that tag', async () => {
    const app = (await api.get(`/applications/${K.expenseTracker}/?IncludeEnvStatus=true`)).json<AppBody>();
    const dev = app.AppStatusInEnvs!.find((s) => s.EnvironmentKey === DEV)!;
    expect(dev).toMatchObject({
      IsModified: true,
      BaseApplicationVersionKey: K.expenseTracker21,
      BaseApplicationVersionLabel: '2.1',
    });
    expect(dev.IsModifiedMessage).toContain('2.1');
    expect(app.AppStatusInEnvs!.find((s) => s.EnvironmentKey === QA)!.IsModified).toBe(false);
    expect((await api.get('/applications/nope/')).status).toBe(404);
  });

  test('versions: newest first, MaximumVersionsToReturn (default 5, 400 when negative), ChangeLogFilter, details', async () => {
    for (const v of ['1.3', '1.4', '1.5'])
      expect(
        (
          await api.post(`/environments/${DEV}/applications/${K.hrCore}/versions/`, {
            Version: v,
            ChangeLog: `release ${v}`,
          })
        ).status,
      ).toBe(201);
    const all = (await api.get(`/applications/${K.hrCore}/versions/`)).json<Version[]>();
    expect(all.map((v) => v.Version)).toEqual(['1.5', '1.4', '1.3', '1.2', '1.1']);
    expect(
      (await api.get(`/applications/${K.hrCore}/versions/?MaximumVersionsToReturn=2`)).json<Version[]>(),
    ).toHaveLength(2);
    expect((await api.get(`/applications/${K.hrCore}/versions/?MaximumVersionsToReturn=0`)).json<Version[]>()).toEqual(
      [],
    );
    expect((await api.get(`/applications/${K.hrCore}/versions/?MaximumVersionsToReturn=-1`)).status).toBe(400);
    expect((await api.get(`/applications/${K.hrCore}/versions/?MaximumVersionsToReturn=many`)).status).toBe(400);
    const filtered = (
      await api.get(`/applications/${K.hrCore}/versions/?ChangeLogFilter=PAYROLL&MaximumVersionsToReturn=10`)
    ).json<Version[]>();
    expect(filtered.map((v) => v.Version)).toEqual(['1.2']);
    const v12 = (
      await api.get(`/applications/${K.hrCore}/versions/${K.hrCore12}/?IncludeModules=true`)
    ).json<Version>();
    expect(v12).toMatchObject({ Key: K.hrCore12, Version: '1.2', InUse: true }); // still running in Quality;
    expect(v12.ModuleVersions).toHaveLength(2);
    const v10 = all.find((v) => v.Version === '1.1');
    expect(v10?.InUse).toBe(false);
    expect(
      (await api.get(`/applications/${K.hrCore}/versions/${K.hrCore12}/?IncludeModules=false`)).json<Version>()
        .ModuleVersions,
    ).toBeUndefined();
    expect((await api.get(`/applications/${K.hrCore}/versions/nope/`)).status).toBe(404);
  });

  test('tagging creates a version from the running state, clears IsModified; duplicates and absent apps are refused', async () => {
    const r = await api.post(`/environments/${DEV}/applications/${K.expenseTracker}/versions/`, {
      Version: '2.2',
      ChangeLog: 'Tagged',
      MobileVersions: null,
    });
    expect(r.status).toBe(201);
    const { ApplicationVersionKey } = r.json<{ ApplicationVersionKey: string }>();
    const dev = (
      await api.get(`/environments/${DEV}/applications/${K.expenseTracker}/?IncludeEnvStatus=true`)
    ).json<AppBody>().AppStatusInEnvs![0]!;
    expect(dev).toMatchObject({
      BaseApplicationVersionKey: ApplicationVersionKey,
      BaseApplicationVersionLabel: '2.2',
      IsModified: false,
    });
    const v = (await api.get(`/applications/${K.expenseTracker}/versions/${ApplicationVersionKey}/`)).json<Version>();
    expect(v).toMatchObject({ Version: '2.2', InUse: true });
    expect(
      (await api.post(`/environments/${DEV}/applications/${K.expenseTracker}/versions/`, { Version: '2.2' })).status,
    ).toBe(400);
    const noVersion = await api.post(`/environments/${DEV}/applications/${K.expenseTracker}/versions/`, {
      ChangeLog: 'x',
    });
    expect(noVersion.status).toBe(400);
    expect(noVersion.text).toContain('Version');
    expect(
      (await api.post(`/environments/${PROD}/applications/${K.documentArchive}/versions/`, { Version: '5.0' })).status,
    ).toBe(404);
    expect((await api.post(`/environments/nope/applications/${K.hrCore}/versions/`, { Version: '5.0' })).status).toBe(
      404,
    );
  });

  test('configurations: LegacyIntranet is blocked for Production; unblocking lets it be deployed', async () => {
    const cfg = (await api.get(`/applications/${K.legacyIntranet}/configurations/`)).json<{
      configurations: { environmentKey: string; isBlocked: boolean; isBlockedChangeReason: string }[];
    }>();
    expect(cfg.configurations.find((c) => c.environmentKey === PROD)).toMatchObject({ isBlocked: true });
    const blocked = await api.post('/deployments/', planBody([K.legacyIntranet35]));
    expect(blocked.status).toBe(400);
    expect(blocked.text).toMatch(/LegacyIntranet.*blocked.*Production/);
    expect((await api.post('/deployments/', planBody([K.legacyIntranet35], { target: QA }))).status).toBe(201);
    const put = await api.put(`/applications/${K.legacyIntranet}/configurations/`, {
      configurations: [{ environmentKey: PROD, isBlocked: false, isBlockedChangeReason: '' }],
    });
    expect(put.status).toBe(204);
    expect((await api.post('/deployments/', planBody([K.legacyIntranet35]))).status).toBe(201);
  });
});

describe('deployment plans: create, update, list', () => {
  test('the first plan gets the seed key, later ones random keys; reset starts over', async () => {
    const first = await api.create([K.employeeBackoffice10]);
    const second = await api.create([K.hrCore12]);
    expect(first).toBe(K.firstDeployment);
    expect(second).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(second).not.toBe(first);
    sim.reset();
    expect(await api.create([K.hrCore12])).toBe(K.firstDeployment);
  });

  test.each([
    [
      'a missing field',
      { Notes: 'x', SourceEnvironmentKey: DEV, TargetEnvironmentKey: PROD },
      400,
      'ApplicationOperations',
    ],
    ['no applications', { ...planBody([]) }, 400, 'ApplicationOperations'],
    [
      'a missing zone',
      { ...planBody([K.hrCore12]), ApplicationOperations: [{ ApplicationVersionKey: K.hrCore12 }] },
      400,
      'DeploymentZoneKey',
    ],
    ['an unknown version', planBody(['nope']), 400, 'nope'],
    ['an unknown source', planBody([K.hrCore12], { source: 'nope' }), 404, 'SourceEnvironmentKey'],
    ['an unknown target', planBody([K.hrCore12], { target: 'nope' }), 404, 'TargetEnvironmentKey'],
    ['the same source and target', planBody([K.hrCore12], { target: DEV }), 400, 'different'],
    ['an unknown zone', planBody([K.hrCore12], { zone: 'nope' }), 400, 'DeploymentZoneKey'],
    ['a duplicate application', planBody([K.hrCore12, HRCORE_10]), 400, 'HRCore'],
    ['a body that is not JSON', '{oops', 400, 'JSON'],
  ])('create with %s → an error naming the problem', async (_name, body, status, mention) => {
    const r = await api.post('/deployments/', body);
    expect(r.status).toBe(status);
    const e = r.json<{ Errors: string[]; StatusCode: number }>();
    expect(e.StatusCode).toBe(status);
    expect(e.Errors.join(' ')).toContain(mention);
    expect(sim.plans()).toEqual([]);
  });

  test('a named deployment zone is kept; update changes a saved plan (200 DeploymentData)', async () => {
    const internal = 'a04f3fbd-4c6b-4b8d-8eaf-5d9fb03c7e46';
    const key = await api.create([K.employeeBackoffice10], { zone: internal });
    const d = (await api.get(`/deployments/${key}/`)).json<{
      Deployment: { ApplicationOperations: { DeploymentZoneKey: string }[] };
    }>();
    expect(d.Deployment.ApplicationOperations[0]!.DeploymentZoneKey).toBe(internal);
    const put = await api.put(`/deployments/${key}/`, {
      Notes: 'now with HRCore',
      ApplicationOperations: [
        { ApplicationVersionKey: K.hrCore12, DeploymentZoneKey: '' },
        { ApplicationVersionKey: K.payrollPortal12, DeploymentZoneKey: '' },
      ],
    });
    expect(put.status).toBe(200);
    expect(put.json()).toMatchObject({
      Key: key,
      Notes: 'now with HRCore',
      ApplicationOperations: [
        { ApplicationVersionKey: K.hrCore12, DeploymentZoneKey: '' },
        { ApplicationVersionKey: K.payrollPortal12, DeploymentZoneKey: '' },
      ],
    });
    expect(sim.plan(key).applications.map((a) => a.applicationName)).toEqual(['HRCore', 'PayrollPortal']);
    expect(
      (
        await api.put(`/deployments/${key}/`, {
          ApplicationOperations: [{ ApplicationVersionKey: K.legacyIntranet35, DeploymentZoneKey: '' }],
        })
      ).status,
    ).toBe(400);
    expect((await api.put('/deployments/nope/', { Notes: 'x' })).status).toBe(404);
  });

  test('list: newest first, TargetEnvironmentKey, MinDate/MaxDate (defaults: the last week), 400 on bad dates', async () => {
    const a = await api.create([K.employeeBackoffice10]);
    await new Promise((r) => setTimeout(r, 5));
    const b = await api.create([K.hrCore12], { target: QA });
    const keys = (r: { json<T>(): T }): string[] => r.json<{ Key: string }[]>().map((d) => d.Key);
    expect(keys(await api.get('/deployments/'))).toEqual([b, a]);
    expect(keys(await api.get(`/deployments/?TargetEnvironmentKey=${PROD}`))).toEqual([a]);
    const today = new Date().toISOString().slice(0, 10);
    expect(keys(await api.get(`/deployments/?MinDate=${today}&MaxDate=${today}`))).toEqual([b, a]);
    expect((await api.get('/deployments/?MinDate=2999-01-01')).status).toBe(400);
    expect((await api.get('/deployments/?MinDate=2999-01-01&MaxDate=2999-12-31')).status).toBe(204);
    expect((await api.get('/deployments/?MaxDate=2000-01-01&MinDate=1999-01-01')).status).toBe(204);
    expect((await api.get('/deployments/?MinDate=01-01-2020')).status).toBe(400);
    expect((await api.get('/deployments/?TargetEnvironmentKey=nope')).status).toBe(204);
  });
});

describe('deployment zones', () => {
  type Zone = { Key: string; Name: string; IsDefault: boolean };
  type Status = { EnvironmentKey: string; DeploymentZoneKey: string };
  const zonesOf = async (env: string): Promise<Zone[]> =>
    (await api.get(`/environments/${env}/deploymentzones/`)).json<Zone[]>();
  const zoneOf = async (env: string, app: string): Promise<string> =>
    (await api.get(`/environments/${env}/applications/${app}/?IncludeEnvStatus=true`)).json<{
      AppStatusInEnvs: Status[];
    }>().AppStatusInEnvs[0]!.DeploymentZoneKey;
  /** Creates and runs a plan to its end (continuing where it waits for a person). */
  const deploy = async (versionKey: string, opts: { zone?: string } = {}): Promise<string> => {
    const key = await api.create([versionKey], opts);
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(202);
    for (let i = 0; i < 200; i++) {
      const s = await api.status(key);
      if (s.DeploymentStatus === 'finished_successful') return key;
      if (s.DeploymentStatus === 'needs_user_intervention') await api.post(`/deployments/${key}/continue/`);
    }
    throw new Error(`plan ${key} did not finish`);
  };

  test('every environment has one default zone ("Global"); every running app reports the key of its zone, never ""', async () => {
    const apps = (await api.get('/applications/?IncludeEnvStatus=true')).json<{ AppStatusInEnvs: Status[] }[]>();
    const statuses = apps.flatMap((a) => a.AppStatusInEnvs);
    expect(statuses.length).toBeGreaterThan(12);
    for (const env of [DEV, QA, PROD]) {
      const zones = await zonesOf(env);
      expect(zones.filter((z) => z.IsDefault).map((z) => z.Name)).toEqual(['Global']);
      for (const s of statuses.filter((x) => x.EnvironmentKey === env))
        expect(zones.map((z) => z.Key)).toContain(s.DeploymentZoneKey);
    }
    expect(await zoneOf(PROD, K.legacyIntranet)).toBe(K.productionInternalZone);
    expect(await zoneOf(PROD, K.hrCore)).toBe(K.productionGlobalZone);
    const running = (await api.get(`/environments/${PROD}/applications/?IncludeEnvStatus=true`)).json<
      { AppStatusInEnvs: Status[] }[]
    >();
    expect(running.every((a) => a.AppStatusInEnvs[0]!.DeploymentZoneKey !== '')).toBe(true);
  });

  test('a plan that gives "" deploys to the app\'s current zone in the target, or the default for an app new there; a named zone moves it', async () => {
    expect(await zoneOf(PROD, K.employeeBackoffice)).toBe(K.productionGlobalZone);
    await deploy(K.employeeBackoffice10, { zone: K.productionInternalZone });
    expect(await zoneOf(PROD, K.employeeBackoffice)).toBe(K.productionInternalZone);
    const again = await deploy(K.employeeBackoffice10);
    expect(sim.plan(again).applications[0]!.zoneKey).toBe(''); // the plan keeps what it was given
    expect(await zoneOf(PROD, K.employeeBackoffice)).toBe(K.productionInternalZone);
    await expect(api.get(`/environments/${PROD}/applications/${K.documentArchive}/`)).resolves.toMatchObject({
      status: 404,
    });
    await deploy(K.documentArchive11);
    expect(await zoneOf(PROD, K.documentArchive)).toBe(K.productionGlobalZone);
    const [qaGlobal] = await zonesOf(QA);
    const r = await api.post('/deployments/', planBody([K.hrCore12], { zone: qaGlobal!.Key }));
    expect(r.status).toBe(400);
    expect(r.text).toContain('DeploymentZoneKey');
    expect(r.text).toContain('Production');
  });
});

describe('DetailsURL (LifeTime 11.22+)', () => {
  test('Environment, Application and Deployment carry a link into the LifeTime console on the simulator origin', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    const bodies: { Key: string; DetailsURL?: string }[] = [
      ...(await api.get('/environments/')).json<{ Key: string }[]>(),
      (await api.get(`/environments/${PROD}/`)).json<{ Key: string }>(),
      ...(await api.get('/applications/?IncludeEnvStatus=true')).json<{ Key: string }[]>(),
      (await api.get(`/applications/${K.hrCore}/`)).json<{ Key: string }>(),
      ...(await api.get(`/environments/${DEV}/applications/`)).json<{ Key: string }[]>(),
      (await api.get(`/environments/${DEV}/applications/${K.hrCore}/`)).json<{ Key: string }>(),
      ...(await api.get('/deployments/')).json<{ Key: string }[]>(),
      (await api.get(`/deployments/${key}/`)).json<{ Deployment: { Key: string } }>().Deployment,
    ];
    expect(bodies.length).toBeGreaterThan(15);
    for (const b of bodies) {
      expect(b.DetailsURL?.startsWith(`${sim.origin}/lifetime/`)).toBe(true);
      expect(new URL(b.DetailsURL!).search).toContain(b.Key);
    }
    // the wire schemas keep it as a typed, optional field
    const env = Environment.parse((await api.get(`/environments/${PROD}/`)).json());
    const app = Application.parse((await api.get(`/applications/${K.hrCore}/`)).json());
    const plan = DeploymentDetails.parse((await api.get(`/deployments/${key}/`)).json()).Deployment;
    expect([env.DetailsURL, app.DetailsURL, plan.DetailsURL].every((u) => u?.startsWith(sim.origin))).toBe(true);
    expect(Application.parse({ Key: 'k', Name: 'older LifeTime' }).DetailsURL).toBeUndefined();
  });
});
