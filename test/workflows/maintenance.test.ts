/**
 * A target in maintenance mode or offline (LifeTime refuses `start` and `continue`): the deployment waits on
 * durable timers within the busy-target policy, saying why in its state, and goes on when the target is back; with
 * the policy "fail" it ends `failed` (TargetUnavailable) with LifeTime's reason and deletes only its own plan. Real
 * Temporal dev server, the simulator over HTTP.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { approveSignal } from '../../src/workflows/messages';
import { historyEventTypes, startDevServer } from '../harness';
import { commandPath, countRequests, request, useRigs, waitForState } from './helpers';

let env: TestWorkflowEnvironment;
const rigs = useRigs(startDevServer, (started) => (env = started));

const DELETE = /\/deployments\/[^/]+\/?$/;

describe('maintenance mode at start', () => {
  test('on at start → waits (state says why, on durable timers) → proceeds when switched off → succeeded', async () => {
    const r = await rigs.make();
    r.sim.setMaintenance('Production', { on: true, reason: 'Monthly patching' });
    const handle = await r.start(
      request({ policies: { busyTarget: { action: 'wait', maxWaitMinutes: 10, checkIntervalSeconds: 1 } } }),
    );
    const result = await r.run(async () => {
      const waiting = await waitForState(handle, (s) => s.step === 'wait-for-target' && !!s.targetUnavailable);
      expect(waiting.targetUnavailable!.reason).toMatch(
        /^target Production is in maintenance mode \(LifeTime: Command start can't be executed for deployment .*The Production environment is in maintenance mode \(Monthly patching\)\)$/,
      );
      expect(waiting.notes.join('\n')).toMatch(/in maintenance mode .*; LifeTime refuses start; waiting up to 10 min/);
      expect(waiting.lifetimeStatus).toBe('saved');
      // wait for at least one more refused start (a durable timer between them), then switch it off
      await waitForState(handle, () => countRequests(r.sim, 'POST', commandPath('start')) >= 2);
      r.sim.setMaintenance('Production', { on: false });
      return handle.result();
    });
    expect(result.outcome).toBe('succeeded');
    expect(result.lifetimeStatus).toBe('finished_successful');
    const starts = r.sim.requests().filter((q) => q.method === 'POST' && commandPath('start').test(q.path));
    expect(starts.slice(0, -1).every((q) => q.status === 400)).toBe(true);
    expect(starts.at(-1)!.status).toBe(202);
    // never a retry storm: one refused start per check interval (a timer each)
    const events = await historyEventTypes(env, handle.workflowId);
    expect(events.filter((e) => e === 'TimerFired').length).toBeGreaterThanOrEqual(starts.length - 1);
    expect(r.sim.plans()).toHaveLength(1);
  });

  test('policy "fail" → failed at once with LifeTime\'s reason; only our own plan is deleted', async () => {
    const r = await rigs.make();
    const operators = r.sim.addPlan({
      target: 'Production',
      applications: ['HRCore'],
      status: 'saved',
      notes: 'Built in LifeTime by Carol',
    });
    r.sim.setMaintenance('Production', { on: true, reason: 'DB upgrade' });
    const handle = await r.start(request({ policies: { busyTarget: { action: 'fail' } } }));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('failed');
    expect(result.failure?.type).toBe('TargetUnavailable');
    expect(result.failure?.message).toMatch(
      /^target Production is in maintenance mode \(LifeTime: .*The Production environment is in maintenance mode \(DB upgrade\)\) \(busy-target policy: fail\)$/,
    );
    expect(result.cleanup).toBe(`plan ${result.deploymentKey} deleted`);
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(1);
    const deletes = r.sim.requests().filter((q) => q.method === 'DELETE' && DELETE.test(q.path));
    expect(deletes.map((q) => q.path)).toEqual([expect.stringContaining(result.deploymentKey!)]);
    expect(r.sim.plans().map((p) => [p.key, p.status])).toEqual([[operators.key, 'saved']]);
  });

  test('offline target, waited past maxWaitMinutes → failed (TargetUnavailable, offline), our plan deleted', async () => {
    const r = await rigs.make();
    r.sim.setOffline('Production', { on: true });
    const handle = await r.start(
      request({ policies: { busyTarget: { action: 'wait', maxWaitMinutes: 0.05, checkIntervalSeconds: 1 } } }),
    );
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('failed');
    expect(result.failure?.type).toBe('TargetUnavailable');
    expect(result.failure?.message).toMatch(
      /^target Production is offline \(LifeTime: .*The Production environment is offline\); it stayed unavailable for 0.05 min/,
    );
    expect(r.sim.plans()).toHaveLength(0);
  });
});

describe('maintenance mode at an intervention', () => {
  test('approved continue refused while on → waits (state says why), sends continue again when off → succeeded', async () => {
    const r = await rigs.make();
    r.sim.setScenario({ application: 'EmployeeBackoffice', interventions: [{ info: 'deployment_prepared' }] });
    const handle = await r.start(
      request({ policies: { busyTarget: { action: 'wait', maxWaitMinutes: 10, checkIntervalSeconds: 1 } } }),
    );
    const result = await r.run(async () => {
      await waitForState(handle, (s) => s.gate?.kind === 'intervention');
      r.sim.setMaintenance('Production', { on: true, reason: 'Hotfix window' });
      await handle.signal(approveSignal, { by: 'alice', reason: 'stage 2 go' });
      const waiting = await waitForState(handle, (s) => !!s.targetUnavailable);
      expect(waiting.targetUnavailable!.reason).toMatch(
        /^target Production is in maintenance mode \(LifeTime: Command continue/,
      );
      expect(waiting.notes.join('\n')).toMatch(/LifeTime refuses continue; waiting up to 10 min/);
      expect(waiting.pendingCommand).toBe('continue');
      expect(waiting.lifetimeStatus).toBe('needs_user_intervention');
      await waitForState(handle, () => countRequests(r.sim, 'POST', commandPath('continue')) >= 2);
      r.sim.setMaintenance('Production', { on: false });
      return handle.result();
    });
    expect(result.outcome).toBe('succeeded');
    const continues = r.sim.requests().filter((q) => q.method === 'POST' && commandPath('continue').test(q.path));
    expect(continues.at(-1)!.status).toBe(202);
    expect(continues.slice(0, -1).every((q) => q.status === 400)).toBe(true);
    expect(result.decisions.filter((x) => x.applied)).toHaveLength(1); // one decision, not asked again
    expect(countRequests(r.sim, 'POST', commandPath('abort'))).toBe(0);
  });

  test('policy "fail" at an intervention → failed (TargetUnavailable); the waiting plan is left, not aborted', async () => {
    const r = await rigs.make();
    r.sim.setScenario({ application: 'EmployeeBackoffice', interventions: [{ info: 'deployment_prepared' }] });
    r.sim.setMaintenance('Quality', { on: true }); // another environment: no effect on Production
    const handle = await r.start(request({ policies: { busyTarget: { action: 'fail' } } }));
    const result = await r.run(async () => {
      await waitForState(handle, (s) => s.gate?.kind === 'intervention');
      r.sim.setMaintenance('Production', { on: true });
      await handle.signal(approveSignal, { by: 'alice' });
      return handle.result();
    });
    expect(result.outcome).toBe('failed');
    expect(result.failure?.type).toBe('TargetUnavailable');
    expect(result.failure?.message).toMatch(
      /^target Production is in maintenance mode \(LifeTime: Command continue can't be executed.*\) \(busy-target policy: fail\)$/,
    );
    expect(result.cleanup).toMatch(/left to LifeTime as it was \(last known status needs_user_intervention\)/);
    expect(r.sim.plans()[0]!.status).toBe('needs_user_intervention');
    expect(countRequests(r.sim, 'POST', commandPath('continue'))).toBe(1);
    expect(countRequests(r.sim, 'POST', commandPath('abort'))).toBe(0);
  });
});
