/**
 * The token (and proxy credentials) never leave the HTTP layer: not in error messages, String(err),
 * JSON.stringify(err), util.inspect(err) (cause chain included), the client's own inspect/JSON, or anything
 * printed to the console, for every kind of failure the client can raise.
 */
import { format, inspect } from 'node:util';
import { LifeTimeClient } from '../../src/lifetime';
import { failure, PLAN } from './helpers';
import { closedPort, exception, reply, startServer, startSilentServer, type TestServer } from './http-server';

const TOKEN = 'SECRET-tok-3b9f0e1d7c5a4f2e8d6c';
const PROXY_PASSWORD = 'SECRET-proxy-pw-81ac';

let server: TestServer;
let silent: Awaited<ReturnType<typeof startSilentServer>>;
let lt: LifeTimeClient;

beforeAll(async () => {
  [server, silent] = await Promise.all([startServer(), startSilentServer()]);
  lt = new LifeTimeClient({ baseUrl: server.origin, token: TOKEN, retryLimit: 0 });
});
afterAll(async () => {
  await Promise.all([server.close(), silent.close()]);
});

/** Every rendering of an error someone might log. */
function renderings(err: unknown): string[] {
  return [
    (err as Error).message,
    String(err),
    JSON.stringify(err),
    inspect(err, { depth: null, showHidden: true }),
    format('%o', err),
    (err as Error).stack ?? '',
    inspect((err as Error).cause, { depth: null, showHidden: true }),
  ];
}

const scenarios: [string, () => Promise<unknown>][] = [
  [
    '401 whose body echoes the token',
    () => {
      server.handler = (_req, res) => reply(res, 401, exception(401, `token ${TOKEN} is invalid`));
      return lt.environments.list();
    },
  ],
  [
    '403 plain-text body echoing the Authorization header',
    () => {
      server.handler = (req, res) => reply(res, 403, `rejected: ${req.headers.authorization ?? ''}`);
      return lt.deployments.start(PLAN);
    },
  ],
  [
    '500',
    () => {
      server.handler = (_req, res) => reply(res, 500, exception(500, 'Failed to create deployment'));
      return lt.deployments.create({
        Notes: 'n',
        SourceEnvironmentKey: 's',
        TargetEnvironmentKey: 't',
        ApplicationOperations: [{ ApplicationVersionKey: 'v', DeploymentZoneKey: '' }],
      });
    },
  ],
  [
    'schema mismatch',
    () => {
      server.handler = (_req, res) => reply(res, 200, { DeploymentStatus: TOKEN });
      return lt.deployments.status(PLAN);
    },
  ],
  ['invalid request body', () => lt.deployments.update(PLAN, { ApplicationOperations: [] })],
  [
    'timeout',
    () =>
      new LifeTimeClient({ baseUrl: silent.origin, token: TOKEN, timeoutMs: 200, retryLimit: 0 }).environments.list(),
  ],
  [
    'abort',
    () =>
      new LifeTimeClient({ baseUrl: silent.origin, token: TOKEN }).environments.list({
        signal: AbortSignal.timeout(100),
      }),
  ],
  [
    'connection refused (through a proxy with credentials)',
    async () => {
      const port = await closedPort();
      return new LifeTimeClient({
        baseUrl: `http://127.0.0.1:${port}`,
        token: TOKEN,
        retryLimit: 0,
        proxy: `http://ops:${PROXY_PASSWORD}@127.0.0.1:${port}`,
      }).environments.list();
    },
  ],
];

describe('secrets stay out of errors and logs', () => {
  test.each(scenarios)('%s', async (_title, run) => {
    const err = await failure(run());
    for (const text of renderings(err)) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(PROXY_PASSWORD);
    }
  });

  test('the token is really sent (control), and echoed text is redacted rather than dropped', async () => {
    server.handler = (_req, res) => reply(res, 401, exception(401, `token ${TOKEN} is invalid`));
    const err = await failure(lt.environments.list());
    expect(server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(err.lifetimeErrors).toEqual(['token [redacted] is invalid']);
  });

  test('the client itself: inspect, JSON, String and console output', () => {
    const client = new LifeTimeClient({
      baseUrl: 'https://lt.example.com',
      token: TOKEN,
      proxy: `http://ops:${PROXY_PASSWORD}@proxy.example.com:3128`,
    });
    const texts = [
      inspect(client, { depth: null, showHidden: true }),
      JSON.stringify(client),
      String(client),
      format('%o %O %j', client, client, client),
      inspect(client.deployments, { depth: null, showHidden: true }),
    ];
    for (const text of texts) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(PROXY_PASSWORD);
    }
    expect(JSON.parse(JSON.stringify(client))).toMatchObject({
      LifeTimeClient: { baseUrl: 'https://lt.example.com/lifetimeapi/rest/v2/', token: '[redacted]' },
    });
  });

  test('captured console output of logged errors and client contains no token', async () => {
    const captured: string[] = [];
    const capture = (...args: unknown[]) => void captured.push(format(...args));
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation(capture),
    );
    try {
      for (const [, run] of scenarios) {
        const err = await failure(run());
        console.error('LifeTime call failed', err);
        console.log({ err, cause: err.cause });
      }
      console.info('client', lt);
    } finally {
      for (const s of spies) s.mockRestore();
    }
    const all = captured.join('\n');
    expect(all).toContain('LifeTimeAuthError');
    expect(all).toContain('LifeTimeTimeoutError');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(PROXY_PASSWORD);
  });
});
