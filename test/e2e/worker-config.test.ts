/**
 * The worker process refuses a bad configuration before it connects anywhere: it exits non-zero with a message
 * that names the variable (and the value, when it is not a secret). It never prints the token.
 * (That a running worker never prints the token is checked on the successful runs in crash-recovery.test.ts.)
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import {
  cleanEnv,
  cleanUpAfterAll,
  killAll,
  spawnWorker,
  stopEverything,
  survivors,
  tempDir,
  workerEnv,
  type Child,
  type Exit,
} from './processes';

jest.setTimeout(120_000);

/** Nothing listens there: a worker that got past its configuration would fail differently (exit 3). */
const NO_TEMPORAL = '127.0.0.1:1';
const SECRET = `e2e-secret-${Math.random().toString(36).slice(2)}`;

afterEach(() => killAll(), 30_000);
cleanUpAfterAll();

/** A configuration that passes every check (Temporal is unreachable, so such a worker exits 3). */
const validEnv = (): NodeJS.ProcessEnv =>
  workerEnv({
    temporalAddress: NO_TEMPORAL,
    lifetimeUrl: 'http://127.0.0.1:9/lifetimeapi/rest/v2',
    token: SECRET,
    taskQueue: 'e2e-config',
  });

async function runWorker(env: NodeJS.ProcessEnv): Promise<{ exit: Exit; child: Child }> {
  const child = spawnWorker(env);
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([
    child.exited,
    new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`worker still runs:\n${child.output()}`)), 60_000)),
    ),
  ]);
  clearTimeout(timer);
  return { exit, child };
}

function expectConfigError(r: { exit: Exit; child: Child }): string {
  expect(r.exit.signal).toBeNull();
  expect(r.exit.code).toBe(2);
  const err = r.child.stderr();
  expect(err).toContain('lifetime-deploy worker: invalid configuration:');
  expect(r.child.output()).not.toContain('worker started');
  expect(r.child.output()).not.toContain(SECRET);
  return err;
}

test('missing LIFETIME_URL: exit 2, the message names LIFETIME_URL', async () => {
  const env = workerEnv({ temporalAddress: NO_TEMPORAL, token: SECRET, taskQueue: 'e2e-config' });
  expect(env.LIFETIME_URL).toBeUndefined();
  const err = expectConfigError(await runWorker(env));
  expect(err).toMatch(/^ {2}LIFETIME_URL: required/m);
});

test('invalid LIFETIME_URL: exit 2, the message names LIFETIME_URL and the value (and never the token)', async () => {
  const env = cleanEnv({
    TEMPORAL_ADDRESS: NO_TEMPORAL,
    LIFETIME_URL: 'ht!tp://bad url',
    LIFETIME_TOKEN: SECRET, // even when given directly, the token is not echoed
  });
  const err = expectConfigError(await runWorker(env));
  expect(err).toMatch(/LIFETIME_URL: .*"ht!tp:\/\/bad url"/);
});

test('missing LIFETIME_TOKEN: exit 2, the message names LIFETIME_TOKEN', async () => {
  const env = cleanEnv({ TEMPORAL_ADDRESS: NO_TEMPORAL, LIFETIME_URL: 'http://127.0.0.1:9/lifetimeapi/rest/v2' });
  const err = expectConfigError(await runWorker(env));
  expect(err).toMatch(/LIFETIME_TOKEN or LIFETIME_TOKEN_FILE: required/);
});

test('unreadable or empty LIFETIME_TOKEN_FILE: exit 2, the message names LIFETIME_TOKEN_FILE and the path', async () => {
  const missing = path.join(tempDir(), 'no-such-token');
  const env = cleanEnv({
    TEMPORAL_ADDRESS: NO_TEMPORAL,
    LIFETIME_URL: 'http://127.0.0.1:9/lifetimeapi/rest/v2',
    LIFETIME_TOKEN_FILE: missing,
  });
  expect(expectConfigError(await runWorker(env))).toContain(`LIFETIME_TOKEN_FILE: cannot read ${missing} (ENOENT)`);

  const empty = path.join(tempDir(), 'empty-token');
  writeFileSync(empty, '\n', { mode: 0o600 });
  const err = expectConfigError(await runWorker({ ...env, LIFETIME_TOKEN_FILE: empty }));
  expect(err).toContain(`LIFETIME_TOKEN_FILE: the file ${empty} is empty`);
});

test('invalid LIFETIME_DEPLOY_MAX_CACHED_WORKFLOWS: exit 2, the message names the variable, the value and the rule', async () => {
  const env = validEnv();
  const err = expectConfigError(await runWorker({ ...env, LIFETIME_DEPLOY_MAX_CACHED_WORKFLOWS: 'lots' }));
  expect(err).toMatch(/LIFETIME_DEPLOY_MAX_CACHED_WORKFLOWS: .*whole number.*"lots"/);
});

test('a valid configuration gets past the checks (and then fails on the unreachable Temporal with exit 3)', async () => {
  // The control case: the same setup with a good URL and token is not a configuration error.
  const env = validEnv();
  const { exit, child } = await runWorker(env);
  expect(exit.code).toBe(3);
  expect(child.stderr()).toContain(`lifetime-deploy worker: cannot start:`);
  expect(child.stderr()).toContain(`(Temporal at ${NO_TEMPORAL})`);
  expect(child.output()).not.toContain('invalid configuration');
  expect(child.output()).not.toContain(SECRET);
});

describe('the start check of LifeTime (one authenticated GET)', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, token: SECRET });
  });
  afterAll(async () => {
    await sim?.close();
  });
  const envFor = (lifetimeUrl: string, token = SECRET) =>
    workerEnv({ temporalAddress: NO_TEMPORAL, lifetimeUrl, token, taskQueue: 'e2e-config' });

  test('good URL and token: "LifeTime reachable, token accepted", then on to Temporal', async () => {
    const r = await runWorker(envFor(sim.url));
    expect(r.child.output()).toMatch(/LifeTime reachable, token accepted/);
    expect(r.exit.code).toBe(3); // no Temporal here: past the LifeTime check
    expect(r.child.output()).not.toContain(SECRET);
  });

  test('a token LifeTime refuses: exit 2 naming LIFETIME_TOKEN (never the token)', async () => {
    const r = await runWorker(envFor(sim.url, `${SECRET}-wrong`));
    expect(r.exit.code).toBe(2);
    expect(r.child.stderr()).toMatch(/LIFETIME_TOKEN: LifeTime at .* refused the token \(401\)/);
    expect(r.child.output()).not.toContain(SECRET);
  });

  test('https:// for a LifeTime served over http: exit 2 naming LIFETIME_URL and the scheme', async () => {
    const r = await runWorker(envFor(sim.url.replace(/^http:/, 'https:')));
    expect(r.exit.code).toBe(2);
    expect(r.child.stderr()).toMatch(/LIFETIME_URL: the TLS connection to https:\/\/.* failed .*served over http/);
  });

  test('an unreachable LifeTime: said loudly, the worker goes on (and checks again)', async () => {
    const r = await runWorker(envFor('http://127.0.0.1:9'));
    expect(r.child.output()).toMatch(
      /LifeTime at http:\/\/127\.0\.0\.1:9.* is unreachable: ECONNREFUSED.*checks again every 30 s/,
    );
    expect(r.exit.code).toBe(3); // it went on to connect to Temporal
  });
});

test('leaves no processes behind', async () => {
  await stopEverything();
  expect(survivors()).toEqual([]);
});
