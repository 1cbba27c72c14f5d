/**
 * Crash recovery, with real processes: the worker process is killed with SIGKILL in the middle of a deployment,
 * (a) while it polls a running plan and (b) while a conflict gate is open (the approval is sent while no worker
 * runs). A new worker process takes over; the deployment ends correctly with exactly one plan in LifeTime, and
 * the approval sent meanwhile is recorded and applied. The LifeTime token never shows in the workers' output.
 */
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { ExitCode } from '../../src/cli/common';
import type { DevServer } from '../../src/dev/dev-server';
import { stateQuery, type DeployResult } from '../../src/workflows/messages';
import {
  cleanEnv,
  cliResult,
  EB,
  eventually,
  expectExit,
  FAST,
  killAll,
  startCli,
  startSimulatorProcess,
  startWorkerProcess,
  stopEverything,
  survivors,
  temporalSignal,
  uniqueTaskQueue,
  useDevServer,
  type Child,
  type SimProcess,
} from './processes';

jest.setTimeout(240_000);

let server: DevServer;
let client: Client;
useDevServer((started) => ({ server, client } = started));
afterEach(() => killAll(), 30_000);

interface Rig {
  sim: SimProcess;
  taskQueue: string;
  startWorker(name: string): Promise<Child>;
  deployInBackground(id: string): Child;
}

async function rig(speed: number): Promise<Rig> {
  const sim = await startSimulatorProcess({ speed });
  const taskQueue = uniqueTaskQueue('crash');
  const cliEnv = cleanEnv({ TEMPORAL_ADDRESS: server.address, LIFETIME_DEPLOY_TASK_QUEUE: taskQueue });
  return {
    sim,
    taskQueue,
    startWorker: (name) =>
      startWorkerProcess({ temporalAddress: server.address, lifetimeUrl: sim.url, token: sim.token, taskQueue }, name),
    deployInBackground: (id) =>
      startCli(['deploy', ...EB, ...FAST, '--wait', '--requested-by', 'ci', '--id', id], cliEnv),
  };
}

async function sigkill(worker: Child): Promise<void> {
  worker.kill('SIGKILL');
  const exit = await worker.exited;
  expect(exit.signal).toBe('SIGKILL');
}

/** The token is in no worker output and in no process argument (the workers read it from a file). */
function expectTokenKeptSecret(token: string, ...workers: Child[]): void {
  for (const w of workers) {
    expect(w.output()).toContain('worker started'); // the output was captured
    expect(w.output()).not.toContain(token);
    expect(w.proc.spawnargs.join(' ')).not.toContain(token);
  }
}

const creates = (sim: SimProcess) => sim.creates();
const starts = async (sim: SimProcess) =>
  (await sim.requests()).filter((r) => r.method === 'POST' && /\/deployments\/[^/]+\/start\/?$/.test(r.path)).length;

test('(a) SIGKILL while polling: a new worker finishes the deployment, one plan, outcome succeeded', async () => {
  // Slow LifeTime (2×): the plan runs for minutes, so the worker dies while it polls a running plan.
  const r = await rig(2);
  const w1 = await r.startWorker('worker-1');
  const id = `e2e-crash-polling-${Date.now().toString(36)}`;
  const deploy = r.deployInBackground(id);

  const handle = client.workflow.getHandle(id);
  const before = await eventually(
    async () => {
      const s = await handle.query(stateQuery);
      return s.lifetimeStatus === 'running' && s.polls > 0 ? s : undefined;
    },
    'the workflow polls a running plan',
    60_000,
  );
  // The killed worker's memory is gone; /proc shows it had no token in its environment either.
  const environ = readFileSync(`/proc/${w1.pid}/environ`, 'utf8');
  expect(environ).toContain('LIFETIME_TOKEN_FILE=');
  expect(environ).not.toContain(r.sim.token);
  await sigkill(w1);
  const mid = await r.sim.plans();
  expect(mid.map((p) => [p.key, p.status])).toEqual([[before.deploymentKey, 'running']]);

  const w2 = await r.startWorker('worker-2');
  await r.sim.config({ speed: 1000 }); // let the plan finish now that the new worker follows it

  const d = await cliResult(deploy, 180_000);
  expectExit(d, ExitCode.Success);
  expect(d.stdout).toMatch(
    new RegExp(`^outcome: succeeded \\(LifeTime: finished_successful\\), plan ${before.deploymentKey}`, 'm'),
  );
  const result = (await handle.result()) as DeployResult;
  expect(result.outcome).toBe('succeeded');
  expect(result.deploymentKey).toBe(before.deploymentKey);
  expect(result.polls).toBeGreaterThan(before.polls);

  expect((await r.sim.plans()).map((p) => [p.key, p.status])).toEqual([[before.deploymentKey, 'finished_successful']]);
  expect(await creates(r.sim)).toBe(1);
  expect(await starts(r.sim)).toBe(1);
  expect(w2.hasExited()).toBe(false); // the new worker did the rest
  expectTokenKeptSecret(r.sim.token, w1, w2);
});

test('(b) SIGKILL at an open gate, approval sent while no worker runs: kept, applied, one plan, succeeded', async () => {
  const r = await rig(200);
  await r.sim.preset({ name: 'conflicts', application: 'EmployeeBackoffice' });
  const w1 = await r.startWorker('worker-1');
  const id = `e2e-crash-gate-${Date.now().toString(36)}`;
  const deploy = r.deployInBackground(id);
  await deploy.waitFor(new RegExp(`workflow signal --workflow-id ${id} .*\\n`), { stream: 'stderr' });
  const handle = client.workflow.getHandle(id);
  const atGate = await handle.query(stateQuery);
  expect(atGate.gate?.kind).toBe('conflicts');

  await sigkill(w1);

  // No worker runs now: the signal is accepted by Temporal and kept in the workflow's history.
  const signal = await temporalSignal(
    server.address,
    id,
    'approve',
    '{"by":"erin","reason":"approved while the worker was down"}',
  );
  expectExit(signal, 0);
  const history = await handle.fetchHistory();
  const signalled = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
  expect(signalled.map((e) => e.workflowExecutionSignaledEventAttributes!.signalName)).toEqual(['approve']);
  // Nothing moves without a worker: the plan is still saved, never started.
  await new Promise((res) => setTimeout(res, 1000));
  expect((await r.sim.plans()).map((p) => p.status)).toEqual(['saved']);
  expect(await starts(r.sim)).toBe(0);

  const w2 = await r.startWorker('worker-2');
  const d = await cliResult(deploy, 180_000);
  expectExit(d, ExitCode.Success);
  expect(d.stdout).toMatch(/^outcome: succeeded/m);

  const result = (await handle.result()) as DeployResult;
  expect(result.outcome).toBe('succeeded');
  expect(result.decisions).toEqual([
    expect.objectContaining({
      decision: 'approve',
      by: 'erin',
      reason: 'approved while the worker was down',
      gate: 'conflicts',
      gateId: atGate.gate!.id,
      applied: true,
    }),
  ]);
  expect((await r.sim.plans()).map((p) => [p.key, p.status])).toEqual([[atGate.deploymentKey, 'finished_successful']]);
  expect(await creates(r.sim)).toBe(1);
  expect(await starts(r.sim)).toBe(1);
  expectTokenKeptSecret(r.sim.token, w1, w2);
});

test('leaves no processes behind', async () => {
  await stopEverything();
  expect(survivors()).toEqual([]);
});
