/**
 * Long waits on the time-skipping test server: busy target, gate deadlines, the deployment deadline and a
 * six-hour deployment that continues-as-new. The simulator advances a plan one step per status poll
 * ('per-poll'), because workflow time here runs far ahead of the wall clock.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { stateQuery } from '../../src/workflows/messages';
import { startTimeSkippingServer } from '../harness';
import {
  commandPath,
  countRequests,
  useRigs,
  maybeRecordHistory,
  timeSkippingRequest,
  DEFAULT_POLLING,
  runLengths,
} from './helpers';

const request = timeSkippingRequest;

let env: TestWorkflowEnvironment;
const rigs = useRigs(startTimeSkippingServer, (started) => (env = started));

describe('busy target', () => {
  test('target runs another plan → waits on durable timers → starts when free and succeeds', async () => {
    const r = await rigs.make({ progression: 'per-poll', parallelLimit: 1 });
    const foreign = r.sim.addPlan({ target: 'Production', status: 'running', releaseAfterRefusedStarts: 2 });
    const handle = await r.start(
      request({
        policies: {
          polling: DEFAULT_POLLING,
          busyTarget: { action: 'wait', maxWaitMinutes: 30, checkIntervalSeconds: 60 },
        },
      }),
    );
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(3); // refused twice, then accepted
    expect(result.notes.join(' ')).toMatch(/target Production is busy/);
    expect(r.sim.plans().filter((p) => p.key !== foreign.key)).toHaveLength(1);
    await maybeRecordHistory(env, handle.workflowId, 'busy-target-wait');
  });

  test('busy-target policy "fail" → our saved plan is deleted, outcome failed', async () => {
    const r = await rigs.make({ progression: 'per-poll', parallelLimit: 1 });
    const foreign = r.sim.addPlan({ target: 'Production', status: 'running' });
    const handle = await r.start(request({ policies: { polling: DEFAULT_POLLING, busyTarget: { action: 'fail' } } }));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('failed');
    expect(result.failure).toMatchObject({ type: 'TargetBusy', message: expect.stringMatching(/busy/) });
    expect(result.cleanup).toMatch(/deleted/);
    expect(r.sim.plans().map((p) => p.key)).toEqual([foreign.key]);
  });

  test('target stays busy past the wait limit → our saved plan is deleted', async () => {
    const r = await rigs.make({ progression: 'per-poll', parallelLimit: 1 });
    r.sim.addPlan({ target: 'Production', status: 'running' });
    const handle = await r.start(
      request({
        policies: {
          polling: DEFAULT_POLLING,
          busyTarget: { action: 'wait', maxWaitMinutes: 20, checkIntervalSeconds: 60 },
        },
      }),
    );
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('failed');
    expect(result.failure).toMatchObject({
      type: 'TargetBusy',
      message: expect.stringMatching(/stayed busy for 20 min/),
    });
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBeGreaterThanOrEqual(19);
    expect(r.sim.plans()).toHaveLength(1); // only the foreign one
  });
});

describe('gate deadline', () => {
  test('nobody decides within the gate timeout → policy "reject": plan deleted, recorded as automatic', async () => {
    const r = await rigs.make({ progression: 'per-poll' });
    const handle = await r.start(
      request({
        applications: [{ app: 'PayrollPortal' }],
        policies: { polling: DEFAULT_POLLING, gate: { timeoutMinutes: 60, onTimeout: 'reject' } },
      }),
    );
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('rejected');
    expect(result.decisions).toEqual([
      expect.objectContaining({ decision: 'reject', by: 'gate deadline', automatic: true, applied: true }),
    ]);
    expect(r.sim.plans()).toHaveLength(0);
    await maybeRecordHistory(env, handle.workflowId, 'gate-deadline-reject');
  });

  test('nobody decides within the gate timeout → policy "approve": the plan starts and succeeds', async () => {
    const r = await rigs.make({ progression: 'per-poll' });
    const handle = await r.start(
      request({
        applications: [{ app: 'PayrollPortal' }],
        policies: { polling: DEFAULT_POLLING, gate: { timeoutMinutes: 60, onTimeout: 'approve' } },
      }),
    );
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    expect(result.decisions[0]).toMatchObject({ decision: 'approve', automatic: true });
  });
});

describe('deployment deadline', () => {
  test('deadline passes while running → abort sent, plan aborted, outcome timed_out', async () => {
    const r = await rigs.make({ progression: 'per-poll' });
    const handle = await r.start(request({ policies: { polling: DEFAULT_POLLING, deadlineMinutes: 0.1 } }));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('timed_out');
    expect(countRequests(r.sim, 'POST', commandPath('abort'))).toBe(1);
    expect(result.lifetimeStatus).toBe('aborted');
    expect(r.sim.plans()[0]!.status).toBe('aborted');
    await maybeRecordHistory(env, handle.workflowId, 'deadline-abort');
  });

  test('deadline passes after the point of no return → LifeTime refuses abort; said so, followed to the end', async () => {
    const r = await rigs.make({ progression: 'per-poll' });
    r.sim.setScenario({ application: 'EmployeeBackoffice', pointOfNoReturnPhase: 1 });
    const handle = await r.start(request({ policies: { polling: DEFAULT_POLLING, deadlineMinutes: 0.5 } }));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('timed_out');
    expect(result.cleanup).toMatch(/abort refused by LifeTime/);
    expect(result.lifetimeStatus).toBe('finished_successful');
    expect(r.sim.plans()[0]!.status).toBe('finished_successful');
  });
});

describe('saved after start (opt-in simulator scenario)', () => {
  test('a started plan that still reports saved is followed, never taken for an ending', async () => {
    // LifeTime's clock nearly stands still: the started plan stays in its `saved` step.
    const r = await rigs.make({ progression: 'wall', speed: 0.000001 });
    r.sim.setScenario({ savedAfterStart: true });
    const handle = await r.start(request({ policies: { polling: DEFAULT_POLLING } }));
    const result = await r.run(async () => {
      await env.sleep('10m');
      const mid = await handle.query(stateQuery);
      expect(mid).toMatchObject({ step: 'polling', lifetimeStatus: 'saved' });
      expect(mid.timings.startedAt).toBeDefined();
      expect(mid.outcome).toBeUndefined();
      expect(mid.polls).toBeGreaterThan(10);
      r.sim.setConfig({ progression: 'per-poll' }); // LifeTime moves again
      return handle.result();
    });
    expect(result.outcome).toBe('succeeded');
    expect(result.lifetimeStatus).toBe('finished_successful');
  });
});

describe('long runs', () => {
  test('deadline while running, the abort takes hours → the cleanup follows it across continue-as-new, ends timed_out', async () => {
    // LifeTime's clock nearly stands still: the plan stays where it is (and, once aborted, stays `aborting`).
    const r = await rigs.make({ progression: 'wall', speed: 0.000001 });
    const threshold = 400;
    const handle = await r.start(
      request({
        policies: {
          polling: { firstPollSeconds: 2, minIntervalSeconds: 30, maxIntervalSeconds: 60, backoff: 1.6 },
          deadlineMinutes: 0.5,
          continueAsNewAfterEvents: threshold,
        },
      }),
    );
    const result = await r.run(async () => {
      await env.sleep('3h');
      const mid = await handle.query(stateQuery);
      expect(mid).toMatchObject({ step: 'aborting', ending: 'timed_out', lifetimeStatus: 'aborting' });
      expect(mid.runs).toBeGreaterThanOrEqual(2);
      r.sim.setConfig({ progression: 'per-poll' }); // LifeTime moves again: the abort completes
      return handle.result();
    });
    expect(result.outcome).toBe('timed_out');
    expect(result.lifetimeStatus).toBe('aborted');
    expect(result.cleanup).toMatch(/abort sent to plan .*; plan ended aborted/);
    expect(countRequests(r.sim, 'POST', commandPath('abort'))).toBe(1);
    expect(r.sim.plans().map((p) => p.status)).toEqual(['aborted']);
    // Every run continued-as-new at the threshold (plus the few events that end a run), far below Temporal's limits.
    const lengths = await runLengths(env, handle.workflowId, handle.firstExecutionRunId);
    expect(lengths.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...lengths)).toBeLessThan(threshold + 10);
    console.log(
      `cleanup across continue-as-new: ${lengths.length} runs of ${lengths.join(', ')} events; ${result.polls} polls`,
    );
  });

  test('a 6-hour deployment continues-as-new, keeps its state, and completes', async () => {
    const r = await rigs.make({ progression: 'per-poll' });
    const handle = await r.start(
      request({
        policies: { polling: { ...DEFAULT_POLLING, maxIntervalSeconds: 60 }, continueAsNewAfterEvents: 400 },
      }),
    );
    const result = await r.run(async () => {
      // Let the plan reach `running`, then freeze LifeTime time so it stays running for six workflow hours.
      for (let i = 0; i < 200; i++) {
        const s = await handle.query(stateQuery);
        if (s.lifetimeStatus === 'running') break;
        await env.sleep('5s');
      }
      r.sim.setConfig({ progression: 'wall', speed: 0.000001 });
      await env.sleep('6h');
      const mid = await handle.query(stateQuery);
      expect(mid.lifetimeStatus).toBe('running');
      expect(mid.runs).toBeGreaterThanOrEqual(1);
      r.sim.setConfig({ progression: 'per-poll' });
      return handle.result();
    });
    expect(result.outcome).toBe('succeeded');
    expect(result.polls).toBeGreaterThan(300); // six hours of polls at ≤ 60 s, carried across runs
    expect(result.log.map((l) => l.message)).toContain('Deploy completed');
    expect(r.sim.plans()).toHaveLength(1);
  });
});
