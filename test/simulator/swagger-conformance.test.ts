/**
 * Every response of every deployment-related endpoint, in every scenario, validated against the published
 * Swagger, whose facts the repository keeps in ./lifetime-api-v2.facts.json (see ./swagger.ts). Zero violations
 * allowed, and a coverage list makes sure each endpoint was seen with its success and error statuses.
 */
import { INTERVENTION_INFOS } from '../../src/lifetime/schemas';
import type { SimulatorHandle } from '../../src/simulator';
import { Api, DEV, isTerminal, K, PROD, QA, startTestSimulator, useTestSimulator } from './helpers';
import { SwaggerChecker } from './swagger';

const checker = new SwaggerChecker();
let sim: SimulatorHandle;
let api: Api;
useTestSimulator((started) => {
  ({ sim, api } = started);
  api.observers.push((m, p, r) => checker.check(m, p, r));
});
afterEach(() => {
  expect(checker.violations).toEqual([]);
});

const run = async (key: string): Promise<void> => {
  expect((await api.post(`/deployments/${key}/start/`)).status).toBe(202);
  for (let i = 0; i < 300; i++) {
    const s = await api.status(key);
    if (isTerminal(s)) return;
    if (s.DeploymentStatus === 'needs_user_intervention')
      expect((await api.post(`/deployments/${key}/continue/`)).status).toBe(202);
  }
  throw new Error('plan did not finish');
};

describe('Swagger conformance', () => {
  test('the facts say where they come from and carry no prose', () => {
    const { source, paths, definitions } = checker.swagger;
    expect(source).toEqual(
      expect.objectContaining({
        name: 'lifetime-api-v2.swagger.json',
        madeOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      }),
    );
    expect(Object.keys(paths).length).toBeGreaterThan(50);
    expect(Object.keys(definitions)).toEqual(
      expect.arrayContaining(['Deployment_v2', 'DeploymentResponse', 'Exception']),
    );
    const prose: string[] = [];
    const walk = (node: unknown, at: string, names = false): void => {
      if (node === null || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (!names && ['description', 'summary', 'example', 'default'].includes(k)) prose.push(`${at}/${k}`);
        walk(v, `${at}/${k}`, !names && k === 'properties');
      }
    };
    walk({ paths, definitions }, '');
    expect(prose).toEqual([]);
  });

  test('the checker reports a wrong body, a wrong content type and an undocumented status', () => {
    const local = new SwaggerChecker();
    const headers = new Headers({ 'content-type': 'application/json' });
    local.check('GET', '/deployments/x/status/', {
      status: 200,
      headers,
      text: JSON.stringify({ DeploymentStatus: 'running', Info: '' }),
    });
    local.check('GET', '/environments/', {
      status: 200,
      headers,
      text: JSON.stringify([{ Key: 'k', Name: 'n', Order: 'first' }]),
    });
    local.check('GET', '/environments/', { status: 200, headers, text: JSON.stringify([{ Key: 'k', Nmae: 'typo' }]) });
    local.check('POST', '/deployments/', { status: 201, headers, text: '"k"' });
    local.check('GET', '/deployments/', { status: 418, headers, text: '' });
    local.check('GET', '/deployments/k/', {
      status: 200,
      headers,
      text: JSON.stringify({ Deployment: { Key: 'k', CreatedOn: 'yesterday' } }),
    });
    expect(local.violations.map((v) => v.problem)).toEqual([
      expect.stringContaining("must have required property 'DeploymentLog'"),
      expect.stringContaining('/0/Order must be integer'),
      expect.stringContaining('must NOT have additional properties'),
      expect.stringContaining('expected text/plain'),
      expect.stringContaining('status 418 is not documented'),
      expect.stringContaining('/Deployment/CreatedOn must match format "date-time"'),
    ]);
  });

  test('environments, zones, running apps, applications, versions, configurations, tagging', async () => {
    await api.get('/environments/');
    await api.get(`/environments/${PROD}/`);
    await api.get('/environments/nope/');
    await api.get(`/environments/${PROD}/deploymentzones/`);
    await api.get('/environments/nope/deploymentzones/');
    for (const q of [
      '',
      '?IncludeEnvStatus=true',
      '?IncludeEnvStatus=True&IncludeModules=True',
      '?IncludeModules=true',
    ]) {
      await api.get(`/environments/${DEV}/applications/${q}`);
      await api.get(`/environments/${DEV}/applications/${K.expenseTracker}/${q}`);
      await api.get(`/applications/${q}`);
      await api.get(`/applications/${K.hrCore}/${q}`);
    }
    await api.get('/environments/nope/applications/');
    await api.get(`/environments/${PROD}/applications/${K.documentArchive}/`);
    await api.get('/applications/nope/');
    await api.get(`/applications/${K.hrCore}/versions/`);
    await api.get(`/applications/${K.hrCore}/versions/?MaximumVersionsToReturn=-1`);
    await api.get('/applications/nope/versions/');
    await api.get(`/applications/${K.hrCore}/versions/${K.hrCore12}/?IncludeModules=true`);
    await api.get(`/applications/${K.hrCore}/versions/${K.hrCore12}/?IncludeModules=false`);
    await api.get(`/applications/${K.hrCore}/versions/nope/?IncludeModules=false`);
    await api.get(`/applications/${K.legacyIntranet}/configurations/`);
    await api.get('/applications/nope/configurations/');
    const cfg = { configurations: [{ environmentKey: QA, isBlocked: true, isBlockedChangeReason: 'freeze' }] };
    await api.put(`/applications/${K.hrCore}/configurations/`, cfg);
    await api.put(`/applications/${K.hrCore}/configurations/`, {
      configurations: [{ environmentKey: 'nope', isBlocked: true }],
    });
    await api.put(`/applications/${K.hrCore}/configurations/`, { configurations: 'all' });
    await api.put('/applications/nope/configurations/', cfg);
    await api.post(`/environments/${DEV}/applications/${K.expenseTracker}/versions/`, {
      Version: '2.2',
      ChangeLog: 'x',
      MobileVersions: [],
    });
    await api.post(`/environments/${DEV}/applications/${K.expenseTracker}/versions/`, { Version: '2.2' });
    await api.post(`/environments/${DEV}/applications/${K.expenseTracker}/versions/`, { ChangeLog: 'no version' });
    await api.post(`/environments/${PROD}/applications/${K.documentArchive}/versions/`, { Version: '9.9' });
  });

  test('empty infrastructure: 204 on every list', async () => {
    const empty = await startTestSimulator({ data: { environments: [], applications: [] } });
    const one = await startTestSimulator({
      data: { environments: [{ key: 'e1', name: 'Lonely' }], applications: [] },
    });
    try {
      for (const a of [empty.api, one.api]) a.observers.push((m, p, r) => checker.check(m, p, r));
      expect((await empty.api.get('/environments/')).status).toBe(204);
      expect((await empty.api.get('/applications/')).status).toBe(204);
      expect((await empty.api.get('/deployments/')).status).toBe(204);
      expect((await one.api.get('/environments/e1/applications/')).status).toBe(204);
    } finally {
      await empty.sim.close();
      await one.sim.close();
    }
  });

  test('seed plan: create, details, update, list, status until finished_successful, delete', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    await api.get(`/deployments/${key}/`);
    await api.put(`/deployments/${key}/`, { Notes: 'updated' });
    await api.put(`/deployments/${key}/`, { ApplicationOperations: [] });
    await api.put('/deployments/nope/', { Notes: 'x' });
    await api.get('/deployments/');
    await api.get(`/deployments/?TargetEnvironmentKey=${QA}`);
    await api.get('/deployments/?MinDate=yesterday');
    await api.get(`/deployments/${key}/getmissingdbmappings/`);
    await run(key);
    await api.get(`/deployments/${key}/`);
    await api.get(`/deployments/${key}/status/`);
    await api.del(`/deployments/${key}/`);
    const other = await api.create([K.hrCore12], { target: QA });
    await api.del(`/deployments/${other}/`);
    await api.del(`/deployments/${other}/`);
    await api.get('/deployments/nope/');
    await api.get('/deployments/nope/status/');
    await api.post('/deployments/', { Notes: 'x' });
    await api.post('/deployments/', {
      Notes: 'x',
      SourceEnvironmentKey: 'nope',
      TargetEnvironmentKey: PROD,
      ApplicationOperations: [{ ApplicationVersionKey: K.hrCore12, DeploymentZoneKey: '' }],
    });
    await api.post('/deployments/', '{not json');
  });

  test('conflicts: natural, every conflict type, a custom list, start blocked by conflicts', async () => {
    const natural = await api.create([K.payrollPortal12]);
    expect(
      (await api.get(`/deployments/${natural}/`)).json<{ ApplicationConflicts: unknown[] }>().ApplicationConflicts,
    ).toHaveLength(1);
    sim.setScenario({ conflicts: 9 });
    const many = await api.create([K.employeeBackoffice10, K.hrCore12], { target: QA });
    expect(
      (await api.get(`/deployments/${many}/`)).json<{ ApplicationConflicts: unknown[] }>().ApplicationConflicts,
    ).toHaveLength(9);
    sim.setScenario({
      plan: many,
      conflicts: [{ Message: 'custom', ModuleConflict: { ConflictType: 'NameColision', TotalRequiredElements: 1 } }],
    });
    await api.get(`/deployments/${many}/`);
    sim.setScenario({ plan: natural, blockStartOnConflicts: true });
    expect((await api.post(`/deployments/${natural}/start/`)).status).toBe(400);
    await run(await api.create([K.hrCore12, K.payrollPortal12]));
  });

  test.each(INTERVENTION_INFOS)('intervention %s: status, continue, abort from the intervention', async (info) => {
    sim.setScenario({ interventions: [{ info }] });
    const a = await api.create([K.employeeBackoffice10]);
    expect((await api.post(`/deployments/${a}/start/`)).status).toBe(202);
    await api.pollUntil(a, (s) => s.DeploymentStatus === 'needs_user_intervention');
    await api.get(`/deployments/${a}/getmissingdbmappings/`);
    await api.post(`/deployments/${a}/configuration/`, [
      { ExtensionKey: 'x', DBMapping: [{ DatabaseName: 'd', LogicalDatabaseName: 'l' }] },
    ]);
    expect((await api.post(`/deployments/${a}/continue/`)).status).toBe(202);
    await api.pollUntil(a, isTerminal);
    const b = await api.create([K.employeeBackoffice10]);
    await api.post(`/deployments/${b}/start/`);
    await api.pollUntil(b, (s) => s.DeploymentStatus === 'needs_user_intervention');
    expect((await api.post(`/deployments/${b}/abort/`)).status).toBe(202);
    await api.pollUntil(b, isTerminal);
  });

  test.each(['finished_with_warnings', 'finished_with_errors', 'aborted'] as const)('outcome %s', async (outcome) => {
    sim.setScenario({ outcome });
    const key = await api.create([K.employeeBackoffice10]);
    await run(key);
    expect((await api.status(key)).DeploymentStatus).toBe(outcome);
    await api.get(`/deployments/${key}/`);
    await api.get('/deployments/');
  });

  test('user abort, refused commands, unknown command', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    await api.post(`/deployments/${key}/continue/`);
    await api.post(`/deployments/${key}/abort/`);
    await api.post(`/deployments/${key}/start/`);
    await api.post(`/deployments/${key}/start/`);
    await api.post(`/deployments/${key}/pause/`);
    await api.post('/deployments/nope/start/');
    await api.status(key);
    await api.post(`/deployments/${key}/abort/`);
    await api.pollUntil(key, isTerminal);
    await api.put(`/deployments/${key}/`, { Notes: 'too late' });
    await api.del(`/deployments/${key}/`);
  });

  test('busy target and overlapping plans: 400', async () => {
    sim.setConfig({ parallelLimit: 1 });
    sim.addPlan({ target: 'Production', status: 'running' });
    const key = await api.create([K.employeeBackoffice10]);
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(400);
    sim.setConfig({ parallelLimit: 5 });
    sim.addPlan({ target: 'Production', status: 'needs_user_intervention', applications: ['EmployeeBackoffice'] });
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(400);
    await api.get('/deployments/');
    for (const p of sim.plans()) await api.get(`/deployments/${p.key}/status/`);
  });

  test('DB mappings: missing list, configuration errors, configuration that continues', async () => {
    const key = await api.create([K.documentArchive11]);
    await api.post(`/deployments/${key}/configuration/`, [
      { ExtensionKey: 'x', DBMapping: [{ DatabaseName: 'd', LogicalDatabaseName: 'l' }] },
    ]);
    await api.post(`/deployments/${key}/start/`);
    await api.pollUntil(key, (s) => s.Info === 'needs_configuration_or_confirmation');
    const missing = (await api.get(`/deployments/${key}/getmissingdbmappings/`)).json<{ ExtensionKey: string }[]>();
    await api.post(`/deployments/${key}/configuration/`, []);
    await api.post(`/deployments/${key}/configuration/`, [
      {
        ExtensionKey: missing[0]!.ExtensionKey,
        DBMapping: [{ DatabaseName: 'Nope', LogicalDatabaseName: 'ArchiveDB' }],
      },
    ]);
    const ok = await api.post(`/deployments/${key}/configuration/`, [
      {
        ExtensionKey: missing[0]!.ExtensionKey,
        DBMapping: [{ DatabaseName: 'ArchiveProdDB', LogicalDatabaseName: 'ArchiveDB' }],
      },
    ]);
    expect(ok.status).toBe(200);
    await api.pollUntil(key, isTerminal);
    await api.get('/deployments/nope/getmissingdbmappings/');
    await api.post('/deployments/nope/configuration/', []);
  });

  test('authentication and injected faults answer with Exception bodies', async () => {
    const anon = new Api(sim, 'wrong-token');
    anon.observers.push((m, p, r) => checker.check(m, p, r));
    expect((await anon.get('/environments/')).status).toBe(401);
    sim.setFaults({ throttle: { count: 1, retryAfterSeconds: 2 } });
    expect((await api.get('/environments/')).status).toBe(429);
    sim.setFaults({ errorEvery: 1, errorStatus: 503 });
    expect((await api.get('/deployments/')).status).toBe(503);
    sim.setFaults({ errorEvery: 1, errorStatus: 500 });
    expect((await api.post('/deployments/', {})).status).toBe(500);
  });

  test('coverage: every deployment-related endpoint was checked with its success and error statuses', () => {
    const expected = [
      'GET /environments/ 200',
      'GET /environments/ 204',
      'GET /environments/{EnvironmentKey}/ 200',
      'GET /environments/{EnvironmentKey}/ 404',
      'GET /environments/{EnvironmentKey}/deploymentzones/ 200',
      'GET /environments/{EnvironmentKey}/deploymentzones/ 404',
      'GET /environments/{EnvironmentKey}/applications/ 200',
      'GET /environments/{EnvironmentKey}/applications/ 204',
      'GET /environments/{EnvironmentKey}/applications/ 400',
      'GET /environments/{EnvironmentKey}/applications/ 404',
      'GET /environments/{EnvironmentKey}/applications/{ApplicationKey}/ 200',
      'GET /environments/{EnvironmentKey}/applications/{ApplicationKey}/ 400',
      'GET /environments/{EnvironmentKey}/applications/{ApplicationKey}/ 404',
      'POST /environments/{EnvironmentKey}/applications/{ApplicationKey}/versions/ 201',
      'POST /environments/{EnvironmentKey}/applications/{ApplicationKey}/versions/ 400',
      'POST /environments/{EnvironmentKey}/applications/{ApplicationKey}/versions/ 404',
      'GET /applications/ 200',
      'GET /applications/ 204',
      'GET /applications/ 400',
      'GET /applications/{ApplicationKey}/ 200',
      'GET /applications/{ApplicationKey}/ 400',
      'GET /applications/{ApplicationKey}/ 404',
      'GET /applications/{ApplicationKey}/configurations/ 200',
      'GET /applications/{ApplicationKey}/configurations/ 404',
      'PUT /applications/{ApplicationKey}/configurations/ 204',
      'PUT /applications/{ApplicationKey}/configurations/ 400',
      'PUT /applications/{ApplicationKey}/configurations/ 404',
      'GET /applications/{ApplicationKey}/versions/ 200',
      'GET /applications/{ApplicationKey}/versions/ 400',
      'GET /applications/{ApplicationKey}/versions/ 404',
      'GET /applications/{ApplicationKey}/versions/{VersionKey}/ 200',
      'GET /applications/{ApplicationKey}/versions/{VersionKey}/ 404',
      'GET /deployments/ 200',
      'GET /deployments/ 204',
      'GET /deployments/ 400',
      'GET /deployments/ 503',
      'POST /deployments/ 201',
      'POST /deployments/ 400',
      'POST /deployments/ 404',
      'POST /deployments/ 500',
      'GET /deployments/{DeploymentKey}/ 200',
      'GET /deployments/{DeploymentKey}/ 404',
      'PUT /deployments/{DeploymentKey}/ 200',
      'PUT /deployments/{DeploymentKey}/ 400',
      'PUT /deployments/{DeploymentKey}/ 404',
      'DELETE /deployments/{DeploymentKey}/ 204',
      'DELETE /deployments/{DeploymentKey}/ 400',
      'DELETE /deployments/{DeploymentKey}/ 404',
      'POST /deployments/{DeploymentKey}/{Command}/ 202',
      'POST /deployments/{DeploymentKey}/{Command}/ 400',
      'POST /deployments/{DeploymentKey}/{Command}/ 404',
      'GET /deployments/{DeploymentKey}/status/ 200',
      'GET /deployments/{DeploymentKey}/status/ 404',
      'GET /deployments/{DeploymentKey}/getmissingdbmappings/ 200',
      'GET /deployments/{DeploymentKey}/getmissingdbmappings/ 400',
      'POST /deployments/{DeploymentKey}/configuration/ 200',
      'POST /deployments/{DeploymentKey}/configuration/ 400',
      'POST /deployments/{DeploymentKey}/configuration/ 404',
      'GET /environments/ 401',
      'GET /environments/ 429',
    ];
    expect(expected.filter((e) => !checker.covered.has(e))).toEqual([]);
    expect(checker.violations).toEqual([]);
  });
});
