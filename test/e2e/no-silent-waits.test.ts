/**
 * Nothing waits in silence, tried with real processes: a worker whose LifeTime refuses connections (the retry shows,
 * then the deployment succeeds when LifeTime comes back), no worker on the task queue (a warning, and `status`
 * answers without hanging), decisions and cancel on a finished deployment, and a CLI with no $USER.
 */
import { createServer } from 'node:net';
import type { Client } from '@temporalio/client';
import type { DevServer } from '../../src/dev/dev-server';
import { ExitCode } from '../../src/cli/common';
import { startSimulator } from '../../src/simulator';
import {
  cleanEnv,
  EB,
  eventually,
  expectExit,
  FAST,
  killAll,
  runCli,
  startCli,
  startStack,
  startWorkerProcess,
  uniqueTaskQueue,
  useDevServer,
} from './processes';

jest.setTimeout(180_000);

let server: DevServer;
let client: Client;
useDevServer((started) => ({ server, client } = started));
afterEach(() => killAll(), 30_000);

const uniqueId = (what: string) => `e2e-${what}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

/** A loopback port nobody listens on (yet). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('deploy --wait shows the retry and its cause while LifeTime refuses connections, then succeeds when it is back', async () => {
  const port = await freePort();
  const token = 'e2e-retry-token';
  const taskQueue = uniqueTaskQueue();
  const worker = await startWorkerProcess({
    temporalAddress: server.address,
    lifetimeUrl: `http://127.0.0.1:${port}`,
    token,
    taskQueue,
  });
  expect(worker.output()).toMatch(/is unreachable: ECONNREFUSED/); // said loudly at start
  const env = cleanEnv({ TEMPORAL_ADDRESS: server.address, LIFETIME_DEPLOY_TASK_QUEUE: taskQueue });
  const deploy = startCli(['deploy', ...EB, ...FAST, '--requested-by', 'ci', '--wait'], env);
  await deploy.waitFor(/⟳ LifeTime call resolveEnvironments failing: .*ECONNREFUSED.*\(attempt \d+/, {
    stream: 'stderr',
    timeoutMs: 60_000,
  });
  const sim = await startSimulator({ port, token, speed: 200 }); // LifeTime comes back
  try {
    const exit = await deploy.exited;
    expect(exit.code).toBe(ExitCode.Success);
    expect(deploy.stdout()).toMatch(/^outcome: succeeded/m);
    expect(sim.plans()).toHaveLength(1);
  } finally {
    await sim.close();
  }
});

test('no worker on the task queue: deploy warns; status answers from the search attributes, without hanging', async () => {
  const env = cleanEnv({ TEMPORAL_ADDRESS: server.address, LIFETIME_DEPLOY_TASK_QUEUE: uniqueTaskQueue('nobody') });
  const id = uniqueId('no-worker');
  const r = await runCli(['deploy', ...EB, '--requested-by', 'ci', '--id', id], env);
  expectExit(r, ExitCode.Success);
  expect(r.stderr).toMatch(/no worker polls task queue "nobody-.*": nothing runs until one starts/);
  const started = Date.now();
  const st = await runCli(['status', id], env, 30_000);
  expectExit(st, ExitCode.Success);
  expect(Date.now() - started).toBeLessThan(25_000); // answered, not hung (the bound is the CLI's own query deadline)
  expect(st.stderr).toMatch(/no worker polls task queue/);
  expect(st.stdout).toMatch(/from the search attributes\) applications: EmployeeBackoffice; Development → Production/);
  await client.workflow.getHandle(id).terminate('test over');
});

describe('on a finished deployment', () => {
  test('approve and reject say it ended and how (exit 9); cancel says there is nothing to cancel (exit 9)', async () => {
    const s = await startStack(server);
    const id = uniqueId('finished');
    expectExit(await s.cli(['deploy', ...EB, ...FAST, '--requested-by', 'ci', '--id', id, '--wait']), 0);
    for (const kind of ['approve', 'reject']) {
      const r = await s.cli([kind, id, '--by', 'alice']);
      expectExit(r, ExitCode.Ignored);
      expect(r.stdout).toContain(`${id} has ended (completed: outcome succeeded, LifeTime finished_successful)`);
      expect(r.stdout).toContain(`there is no gate to ${kind}`);
    }
    const c = await s.cli(['cancel', id]);
    expectExit(c, ExitCode.Ignored);
    expect(c.stdout).toBe(
      `nothing to cancel: ${id} has ended (completed: outcome succeeded, LifeTime finished_successful)\n`,
    );
  });
});

test('with $USER unset and no --requested-by, the OS account asks (end to end through the CLI)', async () => {
  const s = await startStack(server);
  const env = { ...s.cliEnv };
  delete env.USER;
  delete env.LIFETIME_DEPLOY_USER;
  const id = uniqueId('no-user');
  const r = await runCli(['deploy', ...EB, ...FAST, '--id', id, '--wait'], env);
  expectExit(r, ExitCode.Success);
  const { userInfo } = await import('node:os');
  const sa = (await client.workflow.getHandle(id).describe()).searchAttributes as Record<string, unknown[]>;
  expect(sa.LifeTimeRequestedBy).toEqual([userInfo().username]);
  await eventually(async () => (await s.sim.plans()).length === 1, 'one plan');
});
