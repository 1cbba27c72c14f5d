/**
 * Deployment windows on the time-skipping server, with the simulator over HTTP: the plan is created and checked at
 * once, `start` waits (a durable timer) for the window's opening in workflow time; a two-step target runs stage 1 at
 * once and gets `continue` at the opening; a window in a zone that changes to summer time during the wait opens at
 * the right local time; a gate still open when the window closes makes the deployment wait for the next window.
 * "When" is read from the workflow history (the time each activity was scheduled), never from the wall clock.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { tsToMs } from '@temporalio/common/lib/time';
import { status } from '../../src/cli/operator';
import type { CliContext } from '../../src/cli/common';
import { seedData } from '../../src/simulator/seed';
import { approveSignal, type DeployState } from '../../src/workflows/messages';
import { startTimeSkippingServer } from '../harness';
import {
  commandPath,
  countRequests,
  CREATE,
  DEFAULT_POLLING,
  maybeRecordHistory,
  timeSkippingRequest as request,
  useRigs,
  waitForState,
} from './helpers';

let env: TestWorkflowEnvironment;
const rigs = useRigs(startTimeSkippingServer, (started) => (env = started));

const HOUR = 3600_000;
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** A daily UTC window opening `inMs` after the server's current time (on a whole minute), `lengthMs` long. */
async function dailyWindow(inMs: number, lengthMs: number): Promise<{ spec: string; opensAt: number }> {
  const now = await env.currentTimeMs();
  const opensAt = Math.ceil((now + inMs) / 60_000) * 60_000;
  return { spec: `${hhmm(opensAt)}-${hhmm(opensAt + lengthMs)} UTC`, opensAt };
}

/** Workflow time at which each activity (and local activity marker) of a workflow was scheduled, in order. */
async function activityTimes(workflowId: string): Promise<{ name: string; at: number }[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [{ name, at: tsToMs(e.eventTime) }] : [];
  });
}

/** What `lifetime-deploy status <id>` prints for a workflow (stdout lines). */
async function statusLines(workflowId: string): Promise<string[]> {
  const out: string[] = [];
  const ctx: CliContext = {
    client: env.client,
    namespace: 'default',
    taskQueue: 'unused',
    uiBase: 'http://localhost:8233',
    close: async () => undefined,
  };
  await status(ctx, workflowId, { out: (l) => out.push(l), err: () => undefined }, {});
  return out;
}

/** The Temporal UI's current details of a running workflow (the SDK's metadata query). */
async function currentDetails(workflowId: string): Promise<string> {
  const meta = (await env.client.workflow.getHandle(workflowId).query('__temporal_workflow_metadata')) as {
    currentDetails?: string;
  };
  return meta.currentDetails ?? '';
}

const at = (times: { name: string; at: number }[], name: string) =>
  times.filter((t) => t.name === name).map((t) => t.at);

/** Paths of the simulator's LifeTime requests, in order, as `METHOD kind` (create, plan, start, continue, status). */
function requestKinds(sim: { requests(): { method: string; path: string }[] }): string[] {
  return sim.requests().flatMap((r) => {
    if (r.method === 'POST' && CREATE.test(r.path)) return ['create'];
    if (r.method === 'GET' && /\/deployments\/[^/]+\/?$/.test(r.path)) return ['plan'];
    const cmd = /\/deployments\/[^/]+\/(start|continue|abort)\/?$/.exec(r.path);
    return cmd && r.method === 'POST' ? [cmd[1]!] : [];
  });
}

test('a window 6 hours ahead: plan created and checked at once, start at the opening, deployment succeeds', async () => {
  const r = await rigs.make({ progression: 'per-poll' });
  const { spec, opensAt } = await dailyWindow(6 * HOUR, 2 * HOUR);
  const requestedAt = await env.currentTimeMs();
  const handle = await r.start(request({ window: spec, policies: { polling: DEFAULT_POLLING } }));
  const result = await r.run(async () => {
    const s = await waitForState(handle, (x) => x.step === 'wait-for-window');
    expect(s.deploymentKey).toBeDefined();
    expect(s.conflictsCleared).toBe(true);
    expect(s.window).toMatchObject({ opensAt: new Date(opensAt).toISOString(), closesAt: expect.any(String) });
    expect(s.window!.opensAtLocal).toMatch(/UTC \(UTC\+00:00\)$/);
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(0);
    // status and the Temporal UI say what it waits for, in the window's local time, and how long.
    const waitLine =
      /^waiting for window: opens at \w{3} \d{1,2} \w{3} \d{4} \d{2}:\d{2} UTC \(UTC\+00:00\) \(in (5 h \d+ min|6 h)\)$/;
    const lines = await statusLines(handle.workflowId);
    expect(lines).toContainEqual(expect.stringMatching(/^step: wait-for-window;/));
    expect(lines).toContainEqual(expect.stringMatching(waitLine));
    const details = await currentDetails(handle.workflowId);
    expect(details).toContain('Step: Waiting for the deployment window to open');
    expect(details.split('\n')).toContainEqual(expect.stringMatching(waitLine));
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded');
  const times = await activityTimes(handle.workflowId);
  const [created] = at(times, 'createPlan');
  const [checked] = at(times, 'getPlan');
  const starts = at(times, 'startPlan');
  expect(created! - requestedAt).toBeLessThan(HOUR); // at once, not at the window
  expect(checked! - requestedAt).toBeLessThan(HOUR);
  expect(starts).toHaveLength(1);
  expect(starts[0]).toBeGreaterThanOrEqual(opensAt);
  expect(starts[0]! - opensAt).toBeLessThan(60_000);
  expect(requestKinds(r.sim)).toEqual(['create', 'plan', 'start']);
  expect(result.notes.join(' | ')).toContain('the deployment window opened at');
  await maybeRecordHistory(env, handle.workflowId, 'window-start');
});

test('a two-step target: stage 1 at once, `continue` at the window opening (policy deployment_prepared=window)', async () => {
  const data = seedData();
  data.environments.find((e) => e.name === 'Production')!.twoStepDeployment = true;
  const r = await rigs.make({ progression: 'per-poll', data });
  const { spec, opensAt } = await dailyWindow(6 * HOUR, 2 * HOUR);
  const requestedAt = await env.currentTimeMs();
  const handle = await r.start(
    request({
      window: spec,
      policies: { intervention: { deployment_prepared: 'window' } }, // fast polls: stage 1 runs before any skipping
    }),
  );
  const result = await r.run(async () => {
    const s = await waitForState(handle, (x) => x.step === 'wait-for-window');
    expect(s.lifetimeStatus).toBe('needs_user_intervention');
    expect(s.info).toBe('deployment_prepared');
    expect(countRequests(r.sim, 'POST', commandPath('continue'))).toBe(0);
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded');
  const times = await activityTimes(handle.workflowId);
  const [started] = at(times, 'startPlan');
  const continued = at(times, 'sendCommand');
  expect(started! - requestedAt).toBeLessThan(HOUR); // stage 1 at once
  expect(continued).toHaveLength(1);
  expect(continued[0]).toBeGreaterThanOrEqual(opensAt);
  expect(continued[0]! - opensAt).toBeLessThan(60_000);
  expect(requestKinds(r.sim)).toEqual(['create', 'plan', 'start', 'continue']);
  expect(result.decisions).toEqual([
    expect.objectContaining({
      decision: 'approve',
      automatic: true,
      reason: expect.stringMatching(/deployment_prepared is "window": the deployment window is open/),
    }),
  ]);
  await maybeRecordHistory(env, handle.workflowId, 'window-two-step');
});

test('a window in a zone that changes to summer time during the wait opens at the right local time', async () => {
  // 1 April, 03:00 in Lisbon: after the last Sunday of March, so summer time (UTC+1): 02:00Z. The wait from the
  // server's "now" crosses a change to summer time.
  const r = await rigs.make({ progression: 'per-poll' });
  const now = await env.currentTimeMs();
  const year = new Date(now).getUTCFullYear();
  const thisYear = Date.UTC(year, 3, 1, 2);
  const opensAt = now < thisYear ? thisYear : Date.UTC(year + 1, 3, 1, 2);
  const handle = await r.start(
    request({ window: 'cron:0 3 1 4 * for 2h Europe/Lisbon', policies: { polling: DEFAULT_POLLING } }),
  );
  const result = await r.run(async () => {
    const s = await waitForState(handle, (x) => x.step === 'wait-for-window');
    expect(s.window!.opensAt).toBe(new Date(opensAt).toISOString());
    expect(s.window!.opensAtLocal).toMatch(
      new RegExp(`^\\w{3} 1 Apr ${new Date(opensAt).getUTCFullYear()} 03:00 Europe/Lisbon \\(UTC\\+01:00\\)$`),
    );
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded'); // the deadline counts from the opening, not from months before
  const [started] = at(await activityTimes(handle.workflowId), 'startPlan');
  expect(started).toBeGreaterThanOrEqual(opensAt);
  expect(started! - opensAt).toBeLessThan(60_000);
});

test('a gate still open when the window closes → waits for the next window, and says so in its state', async () => {
  const r = await rigs.make({ progression: 'per-poll' });
  const { spec, opensAt } = await dailyWindow(HOUR, HOUR);
  const handle = await r.start(
    request({ applications: [{ app: 'PayrollPortal' }], window: spec, policies: { polling: DEFAULT_POLLING } }),
  );
  let waiting: DeployState | undefined;
  const result = await r.run(async () => {
    await waitForState(handle, (x) => x.gate?.kind === 'conflicts');
    await env.sleep('3h'); // the window opens and closes while the gate waits
    await handle.signal(approveSignal, { by: 'alice', reason: 'go' });
    waiting = await waitForState(handle, (x) => x.step === 'wait-for-window' && !!x.window?.reason);
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(0);
    return handle.result();
  });
  const next = opensAt + 24 * HOUR;
  expect(waiting!.window).toMatchObject({
    opensAt: new Date(next).toISOString(),
    reason: expect.stringMatching(
      /^the conflict gate was still open when the window closed at .+ UTC \(UTC\+00:00\); waiting for the next window: opens at .+ UTC/,
    ),
  });
  expect(result.outcome).toBe('succeeded');
  expect(result.notes.join(' | ')).toContain('the conflict gate was still open when the window closed');
  const [started] = at(await activityTimes(handle.workflowId), 'startPlan');
  expect(started).toBeGreaterThanOrEqual(next);
  expect(started! - next).toBeLessThan(60_000);
  await maybeRecordHistory(env, handle.workflowId, 'window-gate-closed');
});

test('a target still busy when the window closes → waits for the next window, and says so', async () => {
  const r = await rigs.make({ progression: 'per-poll', parallelLimit: 1 });
  const { spec, opensAt } = await dailyWindow(HOUR, 30 * 60_000);
  // Busy for 40 refused starts, a minute apart: past the 30-minute window.
  r.sim.addPlan({ target: 'Production', status: 'running', releaseAfterRefusedStarts: 40 });
  const handle = await r.start(
    request({
      window: spec,
      policies: {
        polling: DEFAULT_POLLING,
        busyTarget: { action: 'wait', maxWaitMinutes: 60, checkIntervalSeconds: 60 },
      },
    }),
  );
  const result = await r.run(() => handle.result());
  expect(result.outcome).toBe('succeeded');
  expect(result.notes.join(' | ')).toMatch(
    /the target was still busy when the window closed at .+; waiting for the next window: opens at/,
  );
  const starts = at(await activityTimes(handle.workflowId), 'startPlan');
  const next = opensAt + 24 * HOUR;
  const inWindow = (t: number) => (t >= opensAt && t < opensAt + 30 * 60_000) || (t >= next && t < next + 30 * 60_000);
  expect(starts.filter((t) => !inWindow(t))).toEqual([]); // a start only ever inside a window
  expect(starts.filter((t) => t >= next).length).toBeGreaterThan(0);
  await maybeRecordHistory(env, handle.workflowId, 'window-busy-closed');
});

test('a window with an unknown time zone, started without the CLI → failed InvalidRequest, nothing in LifeTime', async () => {
  const r = await rigs.make({ progression: 'per-poll' });
  const handle = await r.start(request({ window: 'Sat 22:00-Sun 02:00 Mars/Olympus' }));
  const result = await r.run(() => handle.result());
  expect(result.outcome).toBe('failed');
  expect(result.failure).toMatchObject({
    type: 'InvalidRequest',
    message: expect.stringMatching(/"Mars\/Olympus" is not a known IANA time zone/),
  });
  expect(r.sim.requests()).toEqual([]);
});

test('a target still in maintenance mode when the window closes → waits for the next window, and says why', async () => {
  const r = await rigs.make({ progression: 'per-poll' });
  const { spec, opensAt } = await dailyWindow(HOUR, 30 * 60_000);
  r.sim.setMaintenance('Production', { on: true, reason: 'Monthly patching' });
  const handle = await r.start(
    request({
      window: spec,
      policies: {
        polling: DEFAULT_POLLING,
        busyTarget: { action: 'wait', maxWaitMinutes: 60, checkIntervalSeconds: 60 },
      },
    }),
  );
  const result = await r.run(async () => {
    await env.sleep('2h'); // the window opens, start is refused (maintenance mode) until it closes
    const waiting = await waitForState(handle, (x) => x.step === 'wait-for-window' && !!x.window?.reason);
    expect(waiting.window!.reason).toMatch(
      /^the target was still unavailable \(target Production is in maintenance mode .*Monthly patching.*\) when the window closed at /,
    );
    expect(waiting.window!.opensAt).toBe(new Date(opensAt + 24 * HOUR).toISOString());
    expect(waiting.targetUnavailable).toBeUndefined(); // the wait now is for the window, not the target
    r.sim.setMaintenance('Production', { on: false });
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded');
  const starts = at(await activityTimes(handle.workflowId), 'startPlan');
  const accepted = starts[starts.length - 1]!;
  expect(accepted).toBeGreaterThanOrEqual(opensAt + 24 * HOUR);
  expect(starts.filter((t) => t > opensAt + 30 * 60_000 && t < opensAt + 24 * HOUR)).toEqual([]); // none between windows
});
