/**
 * LifeTimeClient against a real local HTTP server: every method's success path (method, path, query and
 * body on the wire; parsed result), create's response variants, LifeTime's "never" date, 204 lists, and
 * request bodies that are rejected before anything is sent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLifeTimeError, LifeTimeClient, LifeTimeSchemaError, NEVER_DATE } from '../../src/lifetime';
import { PLAN, useTestServer } from './helpers';
import { reply, type Recorded, type TestServer } from './http-server';

const DEV = 'f3582e43-43c7-4bb4-8cbb-d9f6cbcbd35e';
const PRD = '849515f2-b4ff-4aca-a9d6-9407bea655f4';
const APP = 'c9a7a82e-0eee-4a3d-8e22-2a19c69c766f';
const VER = 'b3d2ef6b-e5c5-4c7e-851e-0547f7bd634c';
const TOKEN = 'client-test-token-5d1c';

const env = (Key: string, Name: string) => ({ Key, Name, OSVersion: '11.0.110.0', Order: 0, UseHTTPS: true });
const app = {
  Key: APP,
  Name: 'EmployeeBackoffice',
  Kind: 'WebResponsive',
  AppStatusInEnvs: [{ EnvironmentKey: DEV, BaseApplicationVersionKey: VER, IsModified: false }],
};
const deployment = {
  Key: PLAN,
  SourceEnvironmentKey: DEV,
  TargetEnvironmentKey: PRD,
  Notes: 'n',
  CreatedOn: '2018-10-10T15:02:09Z',
  StartedOn: NEVER_DATE,
  AbortedOn: '1900-01-01T00:00:00',
  ApplicationOperations: [{ ApplicationKey: APP, ApplicationVersionKey: VER, DeploymentOperation: 'Deploy 1.0' }],
};
const createBody = {
  Notes: 'deploy',
  SourceEnvironmentKey: DEV,
  TargetEnvironmentKey: PRD,
  ApplicationOperations: [{ ApplicationVersionKey: VER, DeploymentZoneKey: '' }],
};

let server: TestServer;
let lt: LifeTimeClient;

useTestServer((started) => {
  server = started;
  lt = new LifeTimeClient({ baseUrl: server.origin, token: TOKEN, retryLimit: 0 });
});

/** Answers one request with `status`/`body` and returns what arrived. */
function answer(status: number, body?: unknown, headers?: Record<string, string>): () => Recorded {
  server.handler = (_req, res) => reply(res, status, body, headers);
  return () => {
    expect(server.requests).toHaveLength(1);
    return server.requests[0]!;
  };
}

describe('environments', () => {
  test('list → GET /environments/ with Bearer token, user agent and JSON accept', async () => {
    const sent = answer(200, [env(DEV, 'Development'), env(PRD, 'Production')]);
    const envs = await lt.environments.list();
    expect(envs.map((e) => e.Name)).toEqual(['Development', 'Production']);
    const req = sent();
    expect(req).toMatchObject({ method: 'GET', path: '/environments/' });
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(req.headers['user-agent']).toBe(`lifetime-deploy/${pkg.version}`);
    expect(req.headers.accept).toBe('application/json');
  });

  test('list answered 204 → []', async () => {
    answer(204);
    await expect(lt.environments.list()).resolves.toEqual([]);
  });

  test('get → GET /environments/{key}/', async () => {
    const sent = answer(200, env(PRD, 'Production'));
    await expect(lt.environments.get(PRD)).resolves.toMatchObject({ Key: PRD, Name: 'Production' });
    expect(sent()).toMatchObject({ method: 'GET', path: `/environments/${PRD}/` });
  });

  test('deploymentZones → GET /environments/{key}/deploymentzones/', async () => {
    const sent = answer(200, [{ Key: 'z1', Name: 'Global', IsDefault: true }]);
    await expect(lt.environments.deploymentZones(PRD)).resolves.toEqual([
      { Key: 'z1', Name: 'Global', IsDefault: true },
    ]);
    expect(sent().path).toBe(`/environments/${PRD}/deploymentzones/`);
  });

  test('applications → GET /environments/{key}/applications/ with IncludeEnvStatus/IncludeModules as true/false', async () => {
    const sent = answer(200, [app]);
    const apps = await lt.environments.applications(DEV, { includeEnvStatus: true, includeModules: false });
    expect(apps[0]!.AppStatusInEnvs![0]!.BaseApplicationVersionKey).toBe(VER);
    expect(sent()).toMatchObject({
      path: `/environments/${DEV}/applications/`,
      query: { IncludeEnvStatus: 'true', IncludeModules: 'false' },
    });
  });

  test('applications answered 204 → []', async () => {
    answer(204);
    await expect(lt.environments.applications(DEV)).resolves.toEqual([]);
  });

  test('application → GET /environments/{env}/applications/{app}/', async () => {
    const sent = answer(200, app);
    await expect(lt.environments.application(DEV, APP, { includeEnvStatus: true })).resolves.toMatchObject({
      Key: APP,
    });
    expect(sent()).toMatchObject({
      path: `/environments/${DEV}/applications/${APP}/`,
      query: { IncludeEnvStatus: 'true' },
    });
  });

  test('tagVersion → POST …/versions/ with the body; 201 { ApplicationVersionKey }', async () => {
    const sent = answer(201, { ApplicationVersionKey: VER });
    const body = { ChangeLog: 'Go live 1.0', Version: '1.0', MobileVersions: [] };
    await expect(lt.environments.tagVersion(DEV, APP, body)).resolves.toEqual({ ApplicationVersionKey: VER });
    const req = sent();
    expect(req).toMatchObject({ method: 'POST', path: `/environments/${DEV}/applications/${APP}/versions/` });
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(req.body)).toEqual(body);
  });
});

describe('applications', () => {
  test('list → GET /applications/?IncludeEnvStatus=true', async () => {
    const sent = answer(200, [app]);
    await expect(lt.applications.list({ includeEnvStatus: true })).resolves.toHaveLength(1);
    expect(sent()).toMatchObject({ path: '/applications/', query: { IncludeEnvStatus: 'true' } });
  });

  test('list with no flags sends no query string', async () => {
    const sent = answer(200, [app]);
    await lt.applications.list();
    expect(sent().query).toEqual({});
  });

  test('get → GET /applications/{key}/ with both flags', async () => {
    const sent = answer(200, app);
    await expect(lt.applications.get(APP, { includeEnvStatus: true, includeModules: true })).resolves.toMatchObject({
      Name: 'EmployeeBackoffice',
    });
    expect(sent()).toMatchObject({
      path: `/applications/${APP}/`,
      query: { IncludeEnvStatus: 'true', IncludeModules: 'true' },
    });
  });

  test('versions → GET /applications/{key}/versions/?MaximumVersionsToReturn&ChangeLogFilter; dates parsed', async () => {
    const sent = answer(200, [{ Key: VER, Version: '1.0', CreatedOn: '2018-10-10T15:02:09Z', InUse: true }]);
    const versions = await lt.applications.versions(APP, { maximumVersionsToReturn: 10, changeLogFilter: 'live' });
    expect(versions[0]!.CreatedOn).toEqual(new Date('2018-10-10T15:02:09Z'));
    expect(sent()).toMatchObject({
      path: `/applications/${APP}/versions/`,
      query: { MaximumVersionsToReturn: '10', ChangeLogFilter: 'live' },
    });
  });

  test('version → GET /applications/{app}/versions/{ver}/ always sends IncludeModules', async () => {
    const sent = answer(200, { Key: VER, ApplicationKey: APP, Version: '1.0' });
    await expect(lt.applications.version(APP, VER)).resolves.toMatchObject({ Key: VER, Version: '1.0' });
    expect(sent()).toMatchObject({ path: `/applications/${APP}/versions/${VER}/`, query: { IncludeModules: 'false' } });
  });
});

describe('deployments', () => {
  test('list → GET /deployments/ with MinDate/MaxDate (string or Date) and TargetEnvironmentKey', async () => {
    const sent = answer(200, [deployment]);
    const list = await lt.deployments.list({
      minDate: '2024-01-31',
      maxDate: new Date('2024-02-07T23:30:00Z'),
      targetEnvironmentKey: PRD,
    });
    expect(list[0]!.Key).toBe(PLAN);
    expect(sent()).toMatchObject({
      path: '/deployments/',
      query: { MinDate: '2024-01-31', MaxDate: '2024-02-07', TargetEnvironmentKey: PRD },
    });
  });

  test('list answered 204 → []', async () => {
    answer(204);
    await expect(lt.deployments.list()).resolves.toEqual([]);
  });

  test.each([
    ['201, plain text', 201, PLAN, undefined],
    ['200, plain text', 200, PLAN, undefined],
    ['201, JSON string', 201, JSON.stringify(PLAN), { 'content-type': 'application/json' }],
    ['200, JSON string with whitespace', 200, ` "${PLAN}"\n`, { 'content-type': 'application/json' }],
    ['201, { DeploymentKey }', 201, JSON.stringify({ DeploymentKey: PLAN }), { 'content-type': 'application/json' }],
  ])('create answered %s → the key', async (_title, status, body, headers) => {
    const sent = answer(status, body, headers);
    await expect(lt.deployments.create(createBody)).resolves.toBe(PLAN);
    const req = sent();
    expect(req).toMatchObject({ method: 'POST', path: '/deployments/' });
    expect(JSON.parse(req.body)).toEqual(createBody);
  });

  test('create answered 200 with an HTML page → LifeTimeSchemaError, no key invented', async () => {
    answer(200, '<html><body>Login</body></html>', { 'content-type': 'text/html' });
    const err = await lt.deployments.create(createBody).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifeTimeSchemaError);
    expect((err as Error).message).toMatch(
      /^POST \/deployments\/ \(200\): response does not match.*not a deployment key/,
    );
  });

  test('create with an invalid body → LifeTimeSchemaError naming the field; nothing sent', async () => {
    answer(201, PLAN);
    const bad = { ...createBody, ApplicationOperations: [] };
    const err = await lt.deployments.create(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifeTimeSchemaError);
    expect(err).toMatchObject({ direction: 'request', retryable: false, method: 'POST', path: '/deployments/' });
    expect((err as Error).message).toMatch(/request body \(not sent\).*ApplicationOperations/);
    expect(server.requests).toHaveLength(0);
  });

  test('get → details; 1900-01-01 dates become undefined; missing lists become []', async () => {
    const sent = answer(200, { Deployment: deployment, ApplicationConflicts: [] });
    const d = await lt.deployments.get(PLAN);
    expect(sent()).toMatchObject({ method: 'GET', path: `/deployments/${PLAN}/` });
    expect(d.Deployment.CreatedOn).toEqual(new Date('2018-10-10T15:02:09Z'));
    expect(d.Deployment.StartedOn).toBeUndefined();
    expect(d.Deployment.AbortedOn).toBeUndefined();
    expect('StartedOn' in d.Deployment).toBe(true);
    expect(d.ApplicationsToRedeploy).toEqual([]);
    expect(d.ModulesToDelete).toEqual([]);
  });

  test('update → PUT /deployments/{key}/ with the validated body → DeploymentData', async () => {
    const sent = answer(200, { ...deployment, Notes: 'changed' });
    await expect(lt.deployments.update(PLAN, { Notes: 'changed' })).resolves.toMatchObject({
      Key: PLAN,
      Notes: 'changed',
    });
    const req = sent();
    expect(req).toMatchObject({ method: 'PUT', path: `/deployments/${PLAN}/` });
    expect(JSON.parse(req.body)).toEqual({ Notes: 'changed' });
  });

  test('delete → DELETE /deployments/{key}/ (204)', async () => {
    const sent = answer(204);
    await expect(lt.deployments.delete(PLAN)).resolves.toBeUndefined();
    expect(sent()).toMatchObject({ method: 'DELETE', path: `/deployments/${PLAN}/` });
  });

  test.each([
    ['start', () => lt.deployments.start(PLAN, { redeployOutdated: true }), 'start', { RedeployOutdated: 'true' }],
    ['start (no flag)', () => lt.deployments.start(PLAN), 'start', {}],
    ['continue', () => lt.deployments.continue(PLAN), 'continue', {}],
    ['abort', () => lt.deployments.abort(PLAN), 'abort', {}],
    [
      'command',
      () => lt.deployments.command(PLAN, 'start', { redeployOutdated: false }),
      'start',
      { RedeployOutdated: 'false' },
    ],
  ])('%s → POST /deployments/{key}/<command>/ (202)', async (_t, call, command, query) => {
    const sent = answer(202);
    await expect(call()).resolves.toBeUndefined();
    expect(sent()).toMatchObject({ method: 'POST', path: `/deployments/${PLAN}/${command}/`, query });
  });

  test.each([
    [{ continueWithErrors: true }, { ContinueWithErrors: 'true' }],
    [
      { continueWithErrors: true, redeployOutdated: false },
      { RedeployOutdated: 'false', ContinueWithErrors: 'true' },
    ],
    [{ continueWithErrors: false }, { ContinueWithErrors: 'false' }],
    [{}, {}],
  ])('start %j → the query is exactly %j (ContinueWithErrors only when given)', async (o, query) => {
    const sent = answer(202);
    await expect(lt.deployments.start(PLAN, o)).resolves.toBeUndefined();
    const req = sent();
    expect(req).toMatchObject({ method: 'POST', path: `/deployments/${PLAN}/start/` });
    expect(req.query).toEqual(query);
  });

  test('command with an unknown command → error naming it; nothing sent', async () => {
    answer(202);
    const err = await lt.deployments.command(PLAN, 'retry' as 'start').catch((e: unknown) => e);
    expect(isLifeTimeError(err)).toBe(true);
    expect((err as Error).message).toMatch(/command: unknown command; expected one of: start, continue, abort/);
    expect(server.requests).toHaveLength(0);
  });

  test('status → DeploymentStatus, Info, DeploymentLog with dates', async () => {
    const sent = answer(200, {
      DeploymentStatus: 'needs_user_intervention',
      Info: 'deploy_prepared',
      DeploymentLog: [{ Instant: '2018-10-10T15:36:11.797Z', Message: 'Uploading modules', Type: 'Info' }],
    });
    const st = await lt.deployments.status(PLAN);
    expect(sent().path).toBe(`/deployments/${PLAN}/status/`);
    expect(st.DeploymentStatus).toBe('needs_user_intervention');
    expect(st.Info).toBe('deployment_prepared');
    expect(st.DeploymentLog[0]!.Instant).toEqual(new Date('2018-10-10T15:36:11.797Z'));
  });

  test('missingDbMappings → GET …/getmissingdbmappings/', async () => {
    const sent = answer(200, [{ ExtensionKey: 'x1', ExtensionName: 'Ext', LogicalDatabase: 'ExtDB' }]);
    await expect(lt.deployments.missingDbMappings(PLAN)).resolves.toEqual([
      { ExtensionKey: 'x1', ExtensionName: 'Ext', LogicalDatabase: 'ExtDB' },
    ]);
    expect(sent().path).toBe(`/deployments/${PLAN}/getmissingdbmappings/`);
  });

  test('configureDbMappings → POST …/configuration/ with the mapping body', async () => {
    const sent = answer(200, 'Mapping succeeded and deployment triggered');
    const body = [{ ExtensionKey: 'x1', DBMapping: [{ DatabaseName: 'ExtQA', LogicalDatabaseName: 'Ext' }] }];
    await expect(lt.deployments.configureDbMappings(PLAN, body)).resolves.toBeUndefined();
    const req = sent();
    expect(req).toMatchObject({ method: 'POST', path: `/deployments/${PLAN}/configuration/` });
    expect(JSON.parse(req.body)).toEqual(body);
  });

  test('configureDbMappings with an empty mapping list → rejected before sending', async () => {
    answer(200);
    await expect(lt.deployments.configureDbMappings(PLAN, [])).rejects.toThrow(/request body \(not sent\)/);
    expect(server.requests).toHaveLength(0);
  });

  test('keys are URL-encoded; an empty key is rejected before sending', async () => {
    const sent = answer(200, { DeploymentStatus: 'saved', Info: '', DeploymentLog: [] });
    await lt.deployments.status('a/b');
    expect(sent().path).toBe('/deployments/a%2Fb/status/');
    server.requests.length = 0;
    await expect(lt.deployments.status('')).rejects.toThrow(/key: expected a non-empty LifeTime key/);
    expect(server.requests).toHaveLength(0);
  });

  test('includeModules without includeEnvStatus, bad dates → rejected before sending', async () => {
    answer(200, []);
    await expect(lt.applications.list({ includeModules: true })).rejects.toThrow(
      /includeModules: requires includeEnvStatus/,
    );
    await expect(lt.deployments.list({ minDate: '31/01/2024' })).rejects.toThrow(/minDate: expected a date/);
    expect(server.requests).toHaveLength(0);
  });
});
