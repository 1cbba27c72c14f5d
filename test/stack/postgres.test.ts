/**
 * PostgreSQL, where the Temporal server keeps every history, goes away under running deployments: a fast restart
 * (the shutdown `pg_ctl stop -m fast` does: sessions ended, then started again at once) and an outage of 60 s.
 * The Temporal server keeps running and reconnects; the deployments go on polling and complete, one plan each,
 * each started once.
 */
import type { Client } from '@temporalio/client';
import type { TemporalOnPostgres } from '../../src/dev/stack';
import {
  killAll,
  startSimulatorProcess,
  startWorkerProcess,
  uniqueTaskQueue,
  type Child,
  type SimProcess,
} from '../e2e/processes';
import {
  appsDataFile,
  countBy,
  deployRequest,
  nextRequestFor,
  percentile,
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

interface Running {
  sim: SimProcess;
  worker: Child;
  deployments: { handle: Awaited<ReturnType<typeof startDeployment>>; key: string; polls: number }[];
}

/** `n` deployments of distinct applications to Production, each polling a running plan. */
async function pollingDeployments(n: number, label: string): Promise<Running> {
  const data = appsDataFile(n);
  const sim = await startSimulatorProcess({ speed: 2, args: ['--data', data.file, '--parallel-limit', String(n)] });
  const taskQueue = uniqueTaskQueue('stack');
  const worker = await startWorkerProcess({
    temporalAddress: stack.address,
    lifetimeUrl: sim.url,
    token: sim.token,
    taskQueue,
  });
  const stamp = Date.now().toString(36);
  const handles = await Promise.all(
    data.apps.map((app, i) => startDeployment(client, taskQueue, `stack-${label}-${stamp}-${i}`, deployRequest(app))),
  );
  const deployments = await Promise.all(
    handles.map(async (handle) => {
      const s = await stateWhen(handle, (x) => x.lifetimeStatus === 'running' && x.polls >= 2, 'polls a running plan');
      return { handle, key: s.deploymentKey!, polls: s.polls };
    }),
  );
  return { sim, worker, deployments };
}

/** Every deployment succeeded on its own plan, each plan created and started once. */
async function expectAllCompleted(r: Running): Promise<{ outcomes: Record<string, number>; plans: number }> {
  await r.sim.config({ speed: 1000 });
  const results = await Promise.all(r.deployments.map((d) => resultThroughOutages(d.handle)));
  expect(results.map((x) => x.outcome)).toEqual(r.deployments.map(() => 'succeeded'));
  expect(results.map((x) => x.deploymentKey)).toEqual(r.deployments.map((d) => d.key));
  results.forEach((x, i) => expect(x.polls).toBeGreaterThan(r.deployments[i]!.polls));
  const plans = await r.sim.plans();
  expect(plans.map((p) => p.key).sort()).toEqual(r.deployments.map((d) => d.key).sort());
  expect(plans.every((p) => p.status === 'finished_successful')).toBe(true);
  expect(await r.sim.creates()).toBe(r.deployments.length);
  expect(await startCount(r.sim)).toBe(r.deployments.length);
  expect(r.worker.hasExited()).toBe(false);
  return { outcomes: countBy(results.map((x) => x.outcome)), plans: plans.length };
}

async function recoveries(r: Running, backAt: number): Promise<number[]> {
  const next = await Promise.all(r.deployments.map((d) => nextRequestFor(r.sim, d.key, backAt)));
  return next.map((n) => Date.parse(n.at) - backAt);
}

test('PostgreSQL fast shutdown and start while deployments poll: the server reconnects, all complete', async () => {
  const r = await pollingDeployments(3, 'pg-restart');
  const serverPid = stack.serverPid();
  const downAt = Date.now();
  await stack.postgres.stop('fast');
  await stack.postgres.start();
  const backAt = Date.now();
  const rec = await recoveries(r, backAt);
  const during = await pollsBetween(
    r.sim,
    r.deployments.map((d) => d.key),
    downAt,
    backAt,
  );
  const done = await expectAllCompleted(r);
  expect(stack.serverPid()).toBe(serverPid); // the server rode it out, no restart

  recordFigures({
    test: 'PostgreSQL restart while polling',
    fault: 'PostgreSQL fast shutdown, started again at once',
    downSeconds: seconds(backAt - downAt),
    recoverySeconds: seconds(percentile(rec, 50)),
    recoveryP95Seconds: seconds(percentile(rec, 95)),
    deployments: r.deployments.length,
    ...done,
    note: `status polls while PostgreSQL was down: ${during}`,
  });
});

test('PostgreSQL down for 60 s while deployments poll: the server waits it out, all complete', async () => {
  const r = await pollingDeployments(2, 'pg-down');
  const serverPid = stack.serverPid();
  const downAt = Date.now();
  await stack.postgres.stop('fast');
  await new Promise((res) => setTimeout(res, 60_000));
  await stack.postgres.start();
  const backAt = Date.now();
  const rec = await recoveries(r, backAt);
  const during = await pollsBetween(
    r.sim,
    r.deployments.map((d) => d.key),
    downAt,
    backAt,
  );
  const done = await expectAllCompleted(r);
  expect(stack.serverPid()).toBe(serverPid);

  recordFigures({
    test: 'PostgreSQL down 60 s',
    fault: 'PostgreSQL fast shutdown, started again after 60 s',
    downSeconds: seconds(backAt - downAt),
    recoverySeconds: seconds(percentile(rec, 50)),
    recoveryP95Seconds: seconds(percentile(rec, 95)),
    deployments: r.deployments.length,
    ...done,
    note: `status polls while PostgreSQL was down: ${during}`,
  });
});

test('stops everything it started: no process, no listening port, no folder left', async () => {
  await file.tearDownAndCheck();
});
