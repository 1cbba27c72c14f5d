/**
 * The Temporal server dies (SIGKILL: no shutdown, as when its machine or container dies) and comes back on the same
 * PostgreSQL: a deployment that was polling a running plan goes on polling and completes; a deployment waiting at
 * a conflict gate keeps its gate, shows in a visibility list filtered on the product's search attributes, takes the
 * approval sent after the restart (the CLI, a Workflow Update) and completes. One plan in LifeTime per deployment,
 * started once; the worker process lives through the outage.
 */
import type { Client } from '@temporalio/client';
import { ExitCode } from '../../src/cli/common';
import type { TemporalOnPostgres } from '../../src/dev/stack';
import {
  cleanEnv,
  expectExit,
  killAll,
  runCli,
  startSimulatorProcess,
  startWorkerProcess,
  uniqueTaskQueue,
  type SimProcess,
} from '../e2e/processes';
import {
  deployRequest,
  nextRequestFor,
  pollsBetween,
  recordFigures,
  resultThroughOutages,
  seconds,
  startCount,
  startDeployment,
  stateWhen,
  useTemporalOnPostgres,
} from './helpers';

let stack: TemporalOnPostgres;
let client: Client;
const file = useTemporalOnPostgres((s) => ({ stack, client } = s));
afterEach(() => killAll(), 60_000);

/** Server down for about `downMs`: SIGKILL, wait, start; returns when it was killed and when it served again. */
async function killAndRestartServer(downMs: number): Promise<{ killedAt: number; backAt: number }> {
  const pid = stack.serverPid();
  expect(pid).toBeDefined();
  const killedAt = Date.now();
  await stack.killServer();
  expect(stack.serverPid()).toBeUndefined();
  await new Promise((r) => setTimeout(r, downMs));
  await stack.startServer();
  const backAt = Date.now();
  expect(stack.serverPid()).not.toBe(pid);
  return { killedAt, backAt };
}

async function worker(sim: SimProcess, taskQueue: string) {
  return startWorkerProcess({ temporalAddress: stack.address, lifetimeUrl: sim.url, token: sim.token, taskQueue });
}

test('SIGKILL the server while a deployment polls, restart it 10 s later: the deployment completes, one plan', async () => {
  // Slow LifeTime (2×): the plan is still running when the server comes back.
  const sim = await startSimulatorProcess({ speed: 2 });
  const taskQueue = uniqueTaskQueue('stack');
  const w = await worker(sim, taskQueue);
  const id = `stack-kill-polling-${Date.now().toString(36)}`;
  const handle = await startDeployment(client, taskQueue, id, deployRequest('EmployeeBackoffice'));
  const before = await stateWhen(handle, (s) => s.lifetimeStatus === 'running' && s.polls >= 2, 'polls a running plan');

  const { killedAt, backAt } = await killAndRestartServer(10_000);
  const next = await nextRequestFor(sim, before.deploymentKey!, backAt);
  const during = await pollsBetween(sim, [before.deploymentKey!], killedAt, backAt);
  await sim.config({ speed: 1000 }); // let the plan finish now that the polling is back

  const result = await resultThroughOutages(handle);
  expect(result.outcome).toBe('succeeded');
  expect(result.deploymentKey).toBe(before.deploymentKey);
  expect(result.polls).toBeGreaterThan(before.polls);
  expect(result.decisions).toEqual([]);
  const plans = await sim.plans();
  expect(plans.map((p) => [p.key, p.status])).toEqual([[before.deploymentKey, 'finished_successful']]);
  expect(await sim.creates()).toBe(1);
  expect(await startCount(sim)).toBe(1);
  expect(w.hasExited()).toBe(false); // the worker rode out the outage

  recordFigures({
    test: 'server SIGKILL while polling',
    fault: 'temporal-server SIGKILL, restarted after 10 s',
    downSeconds: seconds(backAt - killedAt),
    recoverySeconds: seconds(Date.parse(next.at) - backAt),
    deployments: 1,
    plans: plans.length,
    outcomes: { [result.outcome]: 1 },
    note: `status polls while the server was down: ${during}; next call: ${next.method} …/${next.path.split('/').slice(-2).join('/')}`,
  });
});

test('SIGKILL the server at an open conflict gate; approve after the restart: applied once, one plan, completes', async () => {
  const sim = await startSimulatorProcess({ speed: 200 });
  await sim.preset({ name: 'conflicts', application: 'EmployeeBackoffice' });
  const taskQueue = uniqueTaskQueue('stack');
  const w = await worker(sim, taskQueue);
  const id = `stack-kill-gate-${Date.now().toString(36)}`;
  const handle = await startDeployment(client, taskQueue, id, deployRequest('EmployeeBackoffice'));
  const atGate = await stateWhen(handle, (s) => s.gate?.kind === 'conflicts', 'opens the conflict gate');

  const { killedAt, backAt } = await killAndRestartServer(10_000);

  // Nothing was lost: the gate is still open, and visibility on PostgreSQL finds the deployment by its gate.
  const cliEnv = cleanEnv({ TEMPORAL_ADDRESS: stack.address, LIFETIME_DEPLOY_TASK_QUEUE: taskQueue });
  const stillOpen = await stateWhen(handle, (s) => s.gate?.id === atGate.gate!.id, 'keeps its gate');
  expect(stillOpen.deploymentKey).toBe(atGate.deploymentKey);
  const pending = await runCli(['list', '--pending', '--target', 'Production', '--json'], cliEnv);
  expectExit(pending, ExitCode.Success);
  const rows = JSON.parse(pending.stdout) as { workflowId: string; gate?: string; lifetimeStatus?: string }[];
  expect(rows.filter((r) => r.workflowId === id)).toEqual([
    expect.objectContaining({ workflowId: id, gate: 'conflicts', lifetimeStatus: 'saved' }),
  ]);
  expect((await sim.plans()).map((p) => p.status)).toEqual(['saved']);
  expect(await startCount(sim)).toBe(0);

  const approvedAt = Date.now();
  const approve = await runCli(
    ['approve', id, '--by', 'erin', '--reason', 'approved after the server restart'],
    cliEnv,
  );
  expectExit(approve, ExitCode.Success);
  const startCall = await nextRequestFor(sim, atGate.deploymentKey!, approvedAt);

  const result = await resultThroughOutages(handle);
  expect(result.outcome).toBe('succeeded');
  expect(result.decisions).toEqual([
    expect.objectContaining({
      decision: 'approve',
      by: 'erin',
      reason: 'approved after the server restart',
      gate: 'conflicts',
      gateId: atGate.gate!.id,
      applied: true,
    }),
  ]);
  const plans = await sim.plans();
  expect(plans.map((p) => [p.key, p.status])).toEqual([[atGate.deploymentKey, 'finished_successful']]);
  expect(await sim.creates()).toBe(1);
  expect(await startCount(sim)).toBe(1);
  expect(w.hasExited()).toBe(false);

  recordFigures({
    test: 'server SIGKILL at a conflict gate',
    fault: 'temporal-server SIGKILL, restarted after 10 s; approval (CLI, Update) after the restart',
    downSeconds: seconds(backAt - killedAt),
    recoverySeconds: seconds(Date.parse(startCall.at) - approvedAt),
    deployments: 1,
    plans: plans.length,
    outcomes: { [result.outcome]: 1 },
    note: 'recovery here: approval sent → plan started in LifeTime',
  });
});

test('stops everything it started: no process, no listening port, no folder left', async () => {
  await file.tearDownAndCheck();
});
