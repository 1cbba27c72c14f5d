/**
 * The HTTP layer against real local servers: GET-only retries (503, 429 + Retry-After), no retries for
 * POST/PUT/DELETE, the per-request timeout, cancellation, connection failures, base URL normalisation and
 * the proxy (absolute-URI requests for http targets; a CONNECT tunnel with a custom CA for https targets).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeTimeClient, LifeTimeHttpError, LifeTimeNetworkError, LifeTimeTimeoutError } from '../../src/lifetime';
import { normaliseBaseUrl } from '../../src/lifetime/http';
import { createBody, failure, PLAN, useTestServer } from './helpers';
import {
  API,
  closedPort,
  exception,
  reply,
  startProxy,
  startServer,
  startSilentServer,
  type TestServer,
} from './http-server';

const TOKEN = 'http-test-token-77aa';
const statusBody = { DeploymentStatus: 'running', Info: '', DeploymentLog: [] };

describe('retries', () => {
  let server: TestServer;
  useTestServer((started) => (server = started));
  const client = (o: { retryLimit?: number; maxRetryAfterMs?: number } = {}) =>
    new LifeTimeClient({ baseUrl: server.origin, token: TOKEN, ...o });

  /** Answers the first `n` requests with `status`, then 200 `body`. */
  function failFirst(n: number, status: number, headers: Record<string, string> = {}, body: unknown = statusBody) {
    server.handler = (_req, res) =>
      server.requests.length <= n ? reply(res, status, exception(status, 'busy'), headers) : reply(res, 200, body);
  }

  test('GET answered 503 then 200 succeeds after exactly one retry', async () => {
    failFirst(1, 503);
    await expect(client().deployments.status(PLAN)).resolves.toMatchObject({ DeploymentStatus: 'running' });
    expect(server.requests).toHaveLength(2);
  });

  test('GET answered 503 every time: retryLimit + 1 requests, then a retryable LifeTimeHttpError', async () => {
    failFirst(99, 503);
    const err = await failure(client({ retryLimit: 1 }).deployments.status(PLAN));
    expect(err).toBeInstanceOf(LifeTimeHttpError);
    expect(err).toMatchObject({ status: 503, retryable: true });
    expect(server.requests).toHaveLength(2);
  });

  test('GET 429 with Retry-After: 1 is retried once the wait is over', async () => {
    failFirst(1, 429, { 'retry-after': '1' });
    await expect(client().deployments.status(PLAN)).resolves.toMatchObject({ DeploymentStatus: 'running' });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  test('GET 429 with Retry-After: 2 waits the 2 s it asked for (longer than the default backoff)', async () => {
    failFirst(1, 429, { 'retry-after': '2' });
    await expect(client().deployments.status(PLAN)).resolves.toMatchObject({ DeploymentStatus: 'running' });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(1950);
  });

  test('a Retry-After longer than maxRetryAfterMs is not waited for: the error carries it', async () => {
    failFirst(1, 429, { 'retry-after': '5' });
    const err = await failure(client({ maxRetryAfterMs: 1000 }).deployments.status(PLAN));
    expect(err).toMatchObject({ status: 429, retryable: true, retryAfterMs: 5000 });
    expect(server.requests).toHaveLength(1);
  });

  test.each([
    ['POST /deployments/', (lt: LifeTimeClient) => lt.deployments.create(createBody)],
    ['POST /deployments/{key}/start/', (lt: LifeTimeClient) => lt.deployments.start(PLAN)],
    ['PUT /deployments/{key}/', (lt: LifeTimeClient) => lt.deployments.update(PLAN, { Notes: 'n' })],
    ['DELETE /deployments/{key}/', (lt: LifeTimeClient) => lt.deployments.delete(PLAN)],
  ])('%s answered 503 is NOT retried (exactly 1 request)', async (_t, call) => {
    failFirst(99, 503);
    const err = await failure(call(client()));
    expect(err).toMatchObject({ status: 503, retryable: true });
    expect(server.requests).toHaveLength(1);
  });

  test('an abort during the retry backoff ends the call without another request', async () => {
    failFirst(99, 503);
    const controller = new AbortController();
    const pending = failure(client().deployments.status(PLAN, { signal: controller.signal }));
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    expect((await pending).code).toBe('LifeTimeAborted');
    await new Promise((r) => setTimeout(r, 1200)); // past the first backoff (1 s)
    expect(server.requests).toHaveLength(1);
  });

  test('GET 400 is not retried', async () => {
    failFirst(99, 400);
    await failure(client().deployments.status(PLAN));
    expect(server.requests).toHaveLength(1);
  });
});

describe('timeouts, cancellation, connection failures', () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  beforeEach(async () => {
    silent = await startSilentServer();
  });
  afterEach(async () => {
    await silent.close();
  });

  test('a server that never answers → LifeTimeTimeoutError (retryable) within timeoutMs', async () => {
    const lt = new LifeTimeClient({ baseUrl: silent.origin, token: TOKEN, timeoutMs: 300, retryLimit: 0 });
    const err = await failure(lt.deployments.status(PLAN));
    expect(err).toBeInstanceOf(LifeTimeTimeoutError);
    expect(err).toMatchObject({ code: 'LifeTimeTimeout', retryable: true, method: 'GET', timeoutMs: 300 });
    expect(err.message).toBe(`GET /deployments/${PLAN}/status/ → timed out after 300 ms waiting for LifeTime`);
    expect(silent.connections()).toBe(1);
  });

  test('a POST that times out is not retried; a GET is (retryLimit)', async () => {
    const lt = new LifeTimeClient({ baseUrl: silent.origin, token: TOKEN, timeoutMs: 300, retryLimit: 1 });
    expect(await failure(lt.deployments.create(createBody))).toBeInstanceOf(LifeTimeTimeoutError);
    expect(silent.connections()).toBe(1);
    expect(await failure(lt.environments.list())).toBeInstanceOf(LifeTimeTimeoutError);
    expect(silent.connections()).toBe(3);
  });

  test('the AbortSignal aborts an in-flight request', async () => {
    const lt = new LifeTimeClient({ baseUrl: silent.origin, token: TOKEN, timeoutMs: 60_000 });
    const controller = new AbortController();
    const pending = failure(lt.deployments.status(PLAN, { signal: controller.signal }));
    while (silent.connections() === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const err = await pending;
    expect(err).toMatchObject({ code: 'LifeTimeAborted', retryable: false, path: `/deployments/${PLAN}/status/` });
    expect(err.message).toBe(`GET /deployments/${PLAN}/status/ → aborted by the caller`);
  });

  test('an already-aborted signal sends nothing', async () => {
    const lt = new LifeTimeClient({ baseUrl: silent.origin, token: TOKEN });
    const err = await failure(lt.deployments.start(PLAN, {}, { signal: AbortSignal.abort() }));
    expect(err.code).toBe('LifeTimeAborted');
    expect(silent.connections()).toBe(0);
  });

  test('connection refused → LifeTimeNetworkError ECONNREFUSED, retryable', async () => {
    const lt = new LifeTimeClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, token: TOKEN, retryLimit: 0 });
    const err = await failure(lt.environments.list());
    expect(err).toBeInstanceOf(LifeTimeNetworkError);
    expect(err).toMatchObject({ code: 'LifeTimeNetwork', retryable: true, errorCode: 'ECONNREFUSED' });
    expect(err.message).toMatch(/^GET \/environments\/ → network error ECONNREFUSED: /);
    expect(err.cause).toMatchObject({ name: 'RequestError', code: 'ECONNREFUSED' });
    expect(Object.keys(err.cause as object)).not.toContain('options');
  });
});

describe('base URL normalisation', () => {
  test.each([
    ['https://lt.example.com', 'https://lt.example.com/lifetimeapi/rest/v2/'],
    ['lt.example.com', 'https://lt.example.com/lifetimeapi/rest/v2/'],
    ['lt.example.com:8443', 'https://lt.example.com:8443/lifetimeapi/rest/v2/'],
    ['http://127.0.0.1:8088', 'http://127.0.0.1:8088/lifetimeapi/rest/v2/'],
    ['https://lt.example.com/', 'https://lt.example.com/lifetimeapi/rest/v2/'],
    ['https://lt.example.com/lifetimeapi/rest/v2', 'https://lt.example.com/lifetimeapi/rest/v2/'],
    ['https://lt.example.com/lifetimeapi/rest/v2/', 'https://lt.example.com/lifetimeapi/rest/v2/'],
    ['HTTPS://LT.example.com/LifeTimeAPI/rest/V2//', 'https://lt.example.com/lifetimeapi/rest/v2/'],
    ['https://lt.example.com/lifetime', 'https://lt.example.com/lifetimeapi/rest/v2/'],
    ['https://lt.example.com/lifetimeapi', 'https://lt.example.com/lifetimeapi/rest/v2/'],
    ['https://gw.example.com/outsystems', 'https://gw.example.com/outsystems/lifetimeapi/rest/v2/'],
    ['  https://lt.example.com  ', 'https://lt.example.com/lifetimeapi/rest/v2/'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseBaseUrl(input)).toBe(expected);
  });

  test.each([
    ['', /empty/],
    ['ftp://lt.example.com', /unsupported scheme "ftp:"/],
    ['https://lt.example.com/lifetimeapi/rest/v1', /v1 is not supported/],
    ['https://lt.example.com/?x=1', /query string/],
  ])('%j is rejected', (input, message) => {
    expect(() => normaliseBaseUrl(input)).toThrow(message);
  });

  test('credentials in the URL are rejected without being echoed', () => {
    expect(() => normaliseBaseUrl('https://admin:hunter22@lt.example.com')).toThrow(/must not contain credentials/);
    expect(() => normaliseBaseUrl('https://admin:hunter22@lt.example.com')).not.toThrow(/hunter22/);
  });

  test('a client built from a bare http origin reaches /lifetimeapi/rest/v2/ on the server', async () => {
    const server = await startServer();
    try {
      server.handler = (_req, res) => reply(res, 200, []);
      const lt = new LifeTimeClient({ baseUrl: server.origin, token: TOKEN });
      expect(lt.baseUrl).toBe(`${server.origin}${API}/`);
      await lt.environments.list();
      expect(server.requests[0]!.path).toBe('/environments/');
    } finally {
      await server.close();
    }
  });
});

describe('proxy', () => {
  test('http target: requests go through the proxy as absolute URIs, with proxy credentials', async () => {
    const [server, proxy] = await Promise.all([startServer(), startProxy()]);
    try {
      server.handler = (_req, res) => reply(res, 200, statusBody);
      const proxyUrl = proxy.origin.replace('http://', 'http://ops:pr0xy-pass@');
      const lt = new LifeTimeClient({ baseUrl: server.origin, token: TOKEN, proxy: proxyUrl });
      await expect(lt.deployments.status(PLAN)).resolves.toMatchObject({ DeploymentStatus: 'running' });
      await lt.environments.get('e1').catch(() => undefined);
      expect(proxy.forwarded).toEqual([
        {
          method: 'GET',
          url: `${server.origin}${API}/deployments/${PLAN}/status/`,
          proxyAuthorization: `Basic ${Buffer.from('ops:pr0xy-pass').toString('base64')}`,
        },
        expect.objectContaining({ url: `${server.origin}${API}/environments/e1/` }),
      ]);
      expect(server.requests).toHaveLength(2);
      expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    } finally {
      await Promise.all([server.close(), proxy.close()]);
    }
  });
});

/** A self-signed certificate for 127.0.0.1, made with openssl (skipped where openssl is missing). */
function makeCert(): { dir: string; key: string; cert: string; certFile: string } | undefined {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'lt-tls-'));
    const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    return { dir, key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
  } catch {
    return undefined;
  }
}

const tlsFixture = makeCert();
(tlsFixture ? describe : describe.skip)('https target: custom CA and CONNECT tunnel', () => {
  const fx = tlsFixture!;
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ key: fx.key, cert: fx.cert });
    server.handler = (_req, res) => reply(res, 200, statusBody);
  });
  afterAll(async () => {
    await server.close();
    rmSync(fx.dir, { recursive: true, force: true });
  });

  test('without caFile the self-signed certificate is refused: non-retryable network error', async () => {
    const lt = new LifeTimeClient({ baseUrl: server.origin, token: TOKEN, retryLimit: 0 });
    const err = await failure(lt.deployments.status(PLAN));
    expect(err).toBeInstanceOf(LifeTimeNetworkError);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/set caFile/);
  });

  test('with caFile the call succeeds', async () => {
    const lt = new LifeTimeClient({ baseUrl: server.origin, token: TOKEN, caFile: fx.certFile });
    await expect(lt.deployments.status(PLAN)).resolves.toMatchObject({ DeploymentStatus: 'running' });
  });

  test('with a proxy the request goes through a CONNECT tunnel (the proxy never sees the request)', async () => {
    const proxy = await startProxy();
    try {
      const before = server.requests.length;
      const lt = new LifeTimeClient({ baseUrl: server.origin, token: TOKEN, caFile: fx.certFile, proxy: proxy.origin });
      await expect(lt.deployments.status(PLAN)).resolves.toMatchObject({ DeploymentStatus: 'running' });
      expect(proxy.connects).toEqual([
        { target: server.origin.replace('https://', ''), proxyAuthorization: undefined },
      ]);
      expect(proxy.forwarded).toEqual([]);
      expect(server.requests.length - before).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  test('a missing caFile is a clear configuration error', () => {
    expect(() => new LifeTimeClient({ baseUrl: server.origin, token: TOKEN, caFile: '/nonexistent/ca.pem' })).toThrow(
      /caFile: cannot read \/nonexistent\/ca.pem \(ENOENT\)/,
    );
  });
});
