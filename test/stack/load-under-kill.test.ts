/**
 * 50 deployments at once, of 50 applications to one target that runs at most 5 plans at a time, so most of them
 * wait under the busy-target policy (wait, checking every second); the Temporal server is killed (SIGKILL) in the
 * middle and started again 10 s later. All 50 end succeeded, LifeTime holds exactly 50 plans (one per
 * application, none twice), each started once.
 */
import type { Client } from '@temporalio/client';
import type { TemporalOnPostgres } from '../../src/dev/stack';
import type { PlanView } from '../../src/simulator';
import type { DeployResult } from '../../src/workflows/messages';
import { eventually, killAll, startSimulatorProcess, startWorkerProcess, uniqueTaskQueue } from '../e2e/processes';
import {
  appsDataFile,
  countBy,
  deployRequest,
  percentile,
  recordFigures,
  resultThroughOutages,
  seconds,
  simRequests,
  startCount,
  startDeployment,
  useTemporalOnPostgres,
} from './helpers';

let stack: TemporalOnPostgres;
let client: Client;
const file = useTemporalOnPostgres((s) => ({ stack, client } = s));
afterEach(() => killAll(), 60_000);

const N = 50;
const PARALLEL_LIMIT = 5;
const TERMINAL = /^(finished_|aborted)/;

test(`${N} concurrent deployments (busy-target policy), server SIGKILLed and restarted once: all succeed, ${N} plans`, async () => {
  const data = appsDataFile(N);
  const sim = await startSimulatorProcess({
    speed: 300,
    args: ['--data', data.file, '--parallel-limit', String(PARALLEL_LIMIT)],
  });
  const taskQueue = uniqueTaskQueue('stack');
  const worker = await startWorkerProcess({
    temporalAddress: stack.address,
    lifetimeUrl: sim.url,
    token: sim.token,
    taskQueue,
  });
  const stamp = Date.now().toString(36);
  const startedAt = Date.now();
  const handles = await Promise.all(
    data.apps.map((app, i) =>
      startDeployment(
        client,
        taskQueue,
        `stack-load-${stamp}-${String(i).padStart(2, '0')}`,
        deployRequest(app, { policies: { busyTarget: { action: 'wait', checkIntervalSeconds: 1 } } }),
      ),
    ),
  );

  // Kill once every deployment has its plan and some plans run while the others wait for the busy target.
  await eventually(
    async () => {
      const plans = await sim.plans();
      return plans.length === N && plans.some((p) => p.status === 'running') ? plans : undefined;
    },
    `${N} plans, some running`,
    180_000,
  );
  const killedAt = Date.now();
  await stack.killServer();
  await new Promise((r) => setTimeout(r, 10_000));
  await stack.startServer();
  const backAt = Date.now();
  // The plans LifeTime has not finished once the server is back: each needs at least one more call (a poll that
  // sees it end, or its start), so each has a call after backAt. (A plan sampled before the kill may have been
  // seen finished by its last poll in between, and have none.)
  const inFlight = (await sim.plans()).filter((p) => !TERMINAL.test(p.status)).map((p) => p.key);

  const results: DeployResult[] = await Promise.all(handles.map((h) => resultThroughOutages(h, 540_000)));
  const finishedAt = Date.now();
  const unexpected = results
    .map((r, i) => ({ i, outcome: r.outcome, failure: r.failure?.message, notes: r.notes.slice(-2) }))
    .filter((r) => r.outcome !== 'succeeded');
  expect(unexpected).toEqual([]);

  const plans = await sim.admin<PlanView[]>('GET', 'plans');
  expect(plans).toHaveLength(N);
  expect(new Set(plans.map((p) => p.key)).size).toBe(N);
  expect(plans.map((p) => p.applications.map((a) => a.applicationName).join(',')).sort()).toEqual(data.apps);
  expect(plans.every((p) => p.status === 'finished_successful')).toBe(true);
  expect(new Set(results.map((r) => r.deploymentKey)).size).toBe(N);
  expect(await sim.creates()).toBe(N);
  // Refused starts are the busy target's (tried again every second); each plan was started once.
  expect(await startCount(sim, { accepted: true })).toBe(N);
  const busyRefusals = (await startCount(sim)) - N;
  expect(worker.hasExited()).toBe(false);

  // Recovery per deployment still in flight: server back → its plan's next call at LifeTime.
  const requests = await simRequests(sim);
  const recovery = inFlight.map((key) => {
    const next = requests.find((r) => r.path.includes(`/deployments/${key}/`) && Date.parse(r.at) >= backAt);
    return next ? Date.parse(next.at) - backAt : NaN;
  });
  expect(recovery.filter((x) => Number.isNaN(x))).toEqual([]);
  // Activities that failed for good on a timeout, and activities that ran again (attempt > 1): a LifeTime call in
  // flight when the server died whose completion the dead server never took is tried again only once its
  // start-to-close timeout has passed; that, not the server's recovery, is the tail of the recovery times.
  const histories = await Promise.all(handles.map((h) => h.fetchHistory()));
  const events = histories.flatMap((h) => h.events ?? []);
  const timedOut = events.filter((e) => e.activityTaskTimedOutEventAttributes).length;
  const retried = histories.filter((h) =>
    (h.events ?? []).some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1),
  ).length;

  recordFigures({
    test: `${N} deployments, server SIGKILL`,
    fault: `temporal-server SIGKILL, restarted after 10 s, under ${N} deployments (${PARALLEL_LIMIT} plans at a time)`,
    downSeconds: seconds(backAt - killedAt),
    recoverySeconds: seconds(percentile(recovery, 50)),
    recoveryP95Seconds: seconds(percentile(recovery, 95)),
    deployments: N,
    plans: plans.length,
    outcomes: countBy(results.map((r) => r.outcome)),
    note:
      `${inFlight.length} not finished in LifeTime when the server was back; all done ${seconds(finishedAt - startedAt)} s after the start; ` +
      `starts refused for the busy target: ${busyRefusals}; deployments with an activity tried again: ${retried}; ` +
      `activity timeouts: ${timedOut}`,
  });
});

test('stops everything it started: no process, no listening port, no folder left', async () => {
  await file.tearDownAndCheck();
});
