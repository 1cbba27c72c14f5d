/**
 * Error mapping against a real local server: every documented error code of the deployment endpoints
 * (D1–D9), authentication failures, and responses that do not match the schema. Plus the error classes'
 * own contract (codes, retryable flags, messages, brand check).
 */
import {
  isLifeTimeError,
  LifeTimeAuthError,
  LifeTimeClient,
  LifeTimeError,
  LifeTimeHttpError,
  LifeTimeSchemaError,
  UnknownApplicationError,
  UnknownEnvironmentError,
} from '../../src/lifetime';
import { createBody, failure, PLAN, useTestServer } from './helpers';
import { exception, reply, type TestServer } from './http-server';

const mapping = [{ ExtensionKey: 'x1', DBMapping: [{ DatabaseName: 'D', LogicalDatabaseName: 'L' }] }];

let server: TestServer;
let lt: LifeTimeClient;

useTestServer((started) => {
  server = started;
  // retryLimit 0: this file is about classification; retries are covered in http.test.ts.
  lt = new LifeTimeClient({ baseUrl: server.origin, token: 'errors-test-token', retryLimit: 0 });
});

type Call = () => Promise<unknown>;
// [id, method, path, call, documented error codes]
const endpoints: [string, string, string, Call, number[]][] = [
  ['D1', 'GET', '/deployments/', () => lt.deployments.list(), [400, 403, 500]],
  ['D2', 'POST', '/deployments/', () => lt.deployments.create(createBody), [400, 403, 404, 500]],
  ['D3', 'GET', `/deployments/${PLAN}/`, () => lt.deployments.get(PLAN), [403, 404, 500]],
  ['D4', 'PUT', `/deployments/${PLAN}/`, () => lt.deployments.update(PLAN, { Notes: 'y' }), [400, 403, 404, 500]],
  ['D5', 'DELETE', `/deployments/${PLAN}/`, () => lt.deployments.delete(PLAN), [400, 403, 404, 500]],
  ['D6', 'POST', `/deployments/${PLAN}/start/`, () => lt.deployments.start(PLAN), [400, 403, 404, 405, 500]],
  ['D6', 'POST', `/deployments/${PLAN}/continue/`, () => lt.deployments.continue(PLAN), [400, 403, 404, 500]],
  ['D6', 'POST', `/deployments/${PLAN}/abort/`, () => lt.deployments.abort(PLAN), [400, 403, 404, 500]],
  ['D7', 'GET', `/deployments/${PLAN}/status/`, () => lt.deployments.status(PLAN), [403, 404, 500]],
  ['D8', 'GET', `/deployments/${PLAN}/getmissingdbmappings/`, () => lt.deployments.missingDbMappings(PLAN), [400, 500]],
  [
    'D9',
    'POST',
    `/deployments/${PLAN}/configuration/`,
    () => lt.deployments.configureDbMappings(PLAN, mapping),
    [400, 403, 404, 500],
  ],
];
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
};
const cases = endpoints.flatMap(([id, method, path, call, codes]) =>
  codes.map((status) => [`${id} ${method} ${path.replace(PLAN, '{key}')}`, status, method, path, call] as const),
);

describe('documented error codes of the deployment endpoints', () => {
  test.each(cases)('%s → %i', async (_title, status, method, path, call) => {
    const text = `LifeTime says ${status} for ${method}`;
    server.handler = (_req, res) => reply(res, status, exception(status, text));
    const err = await failure(call());
    expect(err).toBeInstanceOf(LifeTimeHttpError);
    expect(err).toMatchObject({ code: 'LifeTimeHttp', method, path, status, lifetimeErrors: [text] });
    expect(err.retryable).toBe(status === 500);
    expect(err.message).toBe(`${method} ${path} → ${status} ${STATUS_TEXT[status]}: "${text}"`);
    expect(server.requests).toHaveLength(1);
  });

  test('D2 400 message reads like the style guide example', async () => {
    server.handler = (_req, res) => reply(res, 400, exception(400, 'Target environment is not valid'));
    const err = await failure(lt.deployments.create(createBody));
    expect(err.message).toBe('POST /deployments/ → 400 Bad Request: "Target environment is not valid"');
  });

  test('D1 204 → [] (not an error)', async () => {
    server.handler = (_req, res) => reply(res, 204);
    await expect(lt.deployments.list()).resolves.toEqual([]);
  });

  test.each([429, 502, 503, 504])('%i is retryable; 501 and other 4xx are not', async (status) => {
    server.handler = (_req, res) => reply(res, status, exception(status, 'x'));
    expect((await failure(lt.deployments.start(PLAN))).retryable).toBe(true);
    for (const s of [501, 409, 410, 422]) {
      server.handler = (_req, res) => reply(res, s, exception(s, 'x'));
      expect((await failure(lt.deployments.start(PLAN))).retryable).toBe(false);
    }
  });

  test('an error body that is not JSON: no lifetimeErrors from HTML, plain text kept', async () => {
    server.handler = (_req, res) => reply(res, 502, '<html>bad gateway</html>', { 'content-type': 'text/html' });
    const html = await failure(lt.deployments.start(PLAN));
    expect(html.lifetimeErrors).toBeUndefined();
    expect(html.message).toBe(`POST /deployments/${PLAN}/start/ → 502 Bad Gateway`);
    server.handler = (_req, res) => reply(res, 400, 'Command start cannot be executed');
    expect((await failure(lt.deployments.start(PLAN))).lifetimeErrors).toEqual(['Command start cannot be executed']);
  });

  test('a redirect is not followed: non-retryable error that points at the base URL', async () => {
    server.handler = (_req, res) => reply(res, 302, undefined, { location: 'https://login.example.com/' });
    const err = await failure(lt.environments.list());
    expect(err).toBeInstanceOf(LifeTimeHttpError);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/302 Found \(unexpected redirect: check the LifeTime base URL\)/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('authentication', () => {
  test('401 → LifeTimeAuthError, not retryable, with the token hint', async () => {
    server.handler = (_req, res) => reply(res, 401, exception(401, 'Invalid token'));
    const err = await failure(lt.environments.list());
    expect(err).toBeInstanceOf(LifeTimeAuthError);
    expect(err).toMatchObject({
      code: 'LifeTimeAuth',
      retryable: false,
      status: 401,
      method: 'GET',
      path: '/environments/',
    });
    expect(err.message).toContain('authentication failed: check the LifeTime service account token');
    expect(err.message).toBe(
      'GET /environments/ → 401 Unauthorized: authentication failed: check the LifeTime service account token: "Invalid token"',
    );
  });

  test('401 with an empty body still says so', async () => {
    server.handler = (_req, res) => reply(res, 401);
    const err = await failure(lt.deployments.status(PLAN));
    expect(err).toBeInstanceOf(LifeTimeAuthError);
    expect(err.message).toContain('authentication failed: check the LifeTime service account token');
  });

  test.each(['The authentication token has expired', 'Unauthorized', 'Invalid token'])(
    '403 "%s" → LifeTimeAuthError',
    async (text) => {
      server.handler = (_req, res) => reply(res, 403, exception(403, text));
      const err = await failure(lt.deployments.start(PLAN));
      expect(err).toBeInstanceOf(LifeTimeAuthError);
      expect(err).toMatchObject({ status: 403, lifetimeErrors: [text], retryable: false });
    },
  );

  test('403 about permissions stays a LifeTimeHttpError', async () => {
    server.handler = (_req, res) => reply(res, 403, exception(403, "User doesn't have access to any environment"));
    const err = await failure(lt.deployments.list());
    expect(err).toBeInstanceOf(LifeTimeHttpError);
    expect(err).not.toBeInstanceOf(LifeTimeAuthError);
  });
});

describe('responses that do not match the schema', () => {
  test('unknown DeploymentStatus → LifeTimeSchemaError naming the value, the field and the endpoint', async () => {
    server.handler = (_req, res) => reply(res, 200, { DeploymentStatus: 'weird', Info: '', DeploymentLog: [] });
    const err = await failure(lt.deployments.status(PLAN));
    expect(err).toBeInstanceOf(LifeTimeSchemaError);
    expect(err).toMatchObject({ code: 'LifeTimeSchema', retryable: false, method: 'GET', status: 200 });
    expect(err.path).toBe(`/deployments/${PLAN}/status/`);
    expect(err.message).toMatch(
      new RegExp(`^GET /deployments/${PLAN}/status/ \\(200\\): response does not match the LifeTime schema: `),
    );
    expect(err.message).toContain('DeploymentStatus: unknown DeploymentStatus "weird"');
  });

  test('status response without DeploymentStatus → error naming endpoint and field', async () => {
    server.handler = (_req, res) => reply(res, 200, { Info: '', DeploymentLog: [] });
    const err = await failure(lt.deployments.status(PLAN));
    expect(err).toBeInstanceOf(LifeTimeSchemaError);
    expect(err.message).toContain(`GET /deployments/${PLAN}/status/`);
    expect(err.message).toContain('DeploymentStatus: DeploymentStatus is required');
    expect((err as LifeTimeSchemaError).issues.map((i) => i.path)).toEqual(['DeploymentStatus']);
  });

  test('nested field paths are named (Deployment.Key, DeploymentLog[1].Instant)', async () => {
    server.handler = (_req, res) => reply(res, 200, { Deployment: { Notes: 'no key' } });
    const details = await failure(lt.deployments.get(PLAN));
    expect(details.message).toMatch(/Deployment\.Key: required field missing \(expected string\)/);
    server.handler = (_req, res) =>
      reply(res, 200, {
        DeploymentStatus: 'running',
        DeploymentLog: [
          { Instant: '2018-10-10T15:36:11Z', Message: 'ok' },
          { Instant: 'yesterday', Message: 'bad' },
        ],
      });
    const status = await failure(lt.deployments.status(PLAN));
    expect(status.message).toContain('DeploymentLog[1].Instant: not a date-time');
  });

  test('a body that is not JSON → schema error that describes it without echoing it', async () => {
    const secretish = 'x'.repeat(50) + 'do-not-echo';
    server.handler = (_req, res) => reply(res, 200, `<html>${secretish}</html>`, { 'content-type': 'text/html' });
    const err = await failure(lt.environments.list());
    expect(err).toBeInstanceOf(LifeTimeSchemaError);
    expect(err.message).toMatch(/\(body\): not JSON \(content-type text\/html, \d+ characters\)/);
    expect(err.message).not.toContain('do-not-echo');
  });

  test('many issues are capped in the message but all kept in `issues`', async () => {
    server.handler = (_req, res) =>
      reply(
        res,
        200,
        Array.from({ length: 8 }, () => ({ Name: 'no key' })),
      );
    const err = (await failure(lt.environments.list())) as LifeTimeSchemaError;
    expect(err.issues).toHaveLength(8);
    expect(err.message).toContain('(+3 more)');
  });
});

describe('error classes', () => {
  test('UnknownEnvironmentError / UnknownApplicationError list the known names', () => {
    const env = new UnknownEnvironmentError('Prod', ['Development', 'Production']);
    expect(env).toMatchObject({ code: 'UnknownEnvironment', retryable: false, requested: 'Prod' });
    expect(env.message).toBe('environment "Prod" not found; known: Development, Production');
    const app = new UnknownApplicationError('Foo', ['EmployeeBackoffice']);
    expect(app).toMatchObject({ code: 'UnknownApplication', retryable: false, known: ['EmployeeBackoffice'] });
    expect(app.message).toBe('application "Foo" not found; known: EmployeeBackoffice');
    expect(isLifeTimeError(env) && isLifeTimeError(app)).toBe(true);
    expect(env.name).toBe('UnknownEnvironmentError');
  });

  test('isLifeTimeError matches by brand (e.g. a copy from another module instance), not only instanceof', () => {
    const real = new UnknownEnvironmentError('x', []);
    const foreign = Object.assign(Object.create(Error.prototype) as object, {
      code: 'LifeTimeHttp',
      retryable: true,
      [Symbol.for('lifetime-deploy.LifeTimeError')]: true,
    });
    expect(foreign instanceof LifeTimeError).toBe(false);
    expect(isLifeTimeError(foreign)).toBe(true);
    expect(isLifeTimeError(real)).toBe(true);
    expect(isLifeTimeError(new Error('x'))).toBe(false);
    expect(isLifeTimeError({ code: 'LifeTimeHttp', retryable: true })).toBe(false);
    expect(isLifeTimeError(null)).toBe(false);
  });

  test('JSON.stringify(err) gives the data', () => {
    const err = new LifeTimeHttpError({
      method: 'GET',
      path: '/x/',
      status: 503,
      lifetimeErrors: ['busy'],
      retryAfterMs: 1000,
    });
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: 'LifeTimeHttpError',
      code: 'LifeTimeHttp',
      retryable: true,
      message: 'GET /x/ → 503: "busy"',
      method: 'GET',
      path: '/x/',
      status: 503,
      lifetimeErrors: ['busy'],
      retryAfterMs: 1000,
    });
  });
});
