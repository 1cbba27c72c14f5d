/**
 * Two worker processes on the task queue; the one running a deployment dies (SIGKILL) while it polls a running
 * plan. The other takes the deployment over from its history in PostgreSQL and finishes it: one plan, started once,
 * outcome succeeded. Which worker ran it is read from the history (the identity of its workflow tasks).
 */
import type { Client } from '@temporalio/client';
import type { TemporalOnPostgres } from '../../src/dev/stack';
import { killAll, startSimulatorProcess, startWorkerProcess, uniqueTaskQueue, type Child } from '../e2e/processes';
import {
  deployRequest,
  nextRequestFor,
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

/** The identities (`pid@host`) of the workers that started the workflow's tasks, in order. */
async function workflowTaskWorkers(handle: Awaited<ReturnType<typeof startDeployment>>): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowTaskStartedEventAttributes?.identity)
    .filter((x): x is string => !!x);
}

test('two workers; SIGKILL the one running the deployment: the other finishes it, one plan', async () => {
  const sim = await startSimulatorProcess({ speed: 2 });
  const taskQueue = uniqueTaskQueue('stack');
  const start = (name: string) =>
    startWorkerProcess({ temporalAddress: stack.address, lifetimeUrl: sim.url, token: sim.token, taskQueue }, name);
  const workers: Child[] = [await start('worker-a'), await start('worker-b')];
  const id = `stack-failover-${Date.now().toString(36)}`;
  const handle = await startDeployment(client, taskQueue, id, deployRequest('EmployeeBackoffice'));
  const before = await stateWhen(handle, (s) => s.lifetimeStatus === 'running' && s.polls >= 2, 'polls a running plan');

  const ranBy = (await workflowTaskWorkers(handle)).at(-1)!;
  const running = workers.find((w) => ranBy.startsWith(`${w.pid}@`));
  expect(running).toBeDefined();
  const other = workers.find((w) => w !== running)!;
  const killedAt = Date.now();
  running!.kill('SIGKILL');
  expect((await running!.exited).signal).toBe('SIGKILL');

  const next = await nextRequestFor(sim, before.deploymentKey!, killedAt);
  await sim.config({ speed: 1000 });
  const result = await resultThroughOutages(handle);
  expect(result.outcome).toBe('succeeded');
  expect(result.deploymentKey).toBe(before.deploymentKey);
  expect(result.polls).toBeGreaterThan(before.polls);

  // The workflow tasks after the kill were the other worker's.
  const identities = await workflowTaskWorkers(handle);
  expect(identities.at(-1)!.startsWith(`${other.pid}@`)).toBe(true);
  expect(other.hasExited()).toBe(false);
  const plans = await sim.plans();
  expect(plans.map((p) => [p.key, p.status])).toEqual([[before.deploymentKey, 'finished_successful']]);
  expect(await sim.creates()).toBe(1);
  expect(await startCount(sim)).toBe(1);

  recordFigures({
    test: 'worker SIGKILL, second worker takes over',
    fault: 'SIGKILL of the worker process running the deployment (another worker on the task queue)',
    recoverySeconds: seconds(Date.parse(next.at) - killedAt),
    deployments: 1,
    plans: plans.length,
    outcomes: { [result.outcome]: 1 },
    note: 'recovery here: worker killed → next poll by the other worker',
  });
});

test('stops everything it started: no process, no listening port, no folder left', async () => {
  await file.tearDownAndCheck();
});
