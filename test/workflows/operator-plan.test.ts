/**
 * Operator-built plans (`planKey`, CLI `--plan`): a saved plan a person built in LifeTime (here through the
 * simulator's admin API, without the product's marker in its Notes) is taken over: steps 4–6 with the same gates,
 * never deleted. Real Temporal dev server, the simulator over HTTP.
 */
import { approveSignal, rejectSignal } from '../../src/workflows/messages';
import { startDevServer } from '../harness';
import { commandPath, countRequests, CREATE, FAST_POLLING, useRigs, waitForState } from './helpers';
import type { DeployRequestInput } from '../../src/workflows/messages';

const rigs = useRigs(startDevServer, () => undefined);

const DELETE = /\/deployments\/[^/]+\/?$/;
const planRequest = (planKey: string, policies: DeployRequestInput['policies'] = {}): DeployRequestInput => ({
  applications: [],
  planKey,
  requestedBy: 'ci-bot',
  policies: { polling: FAST_POLLING, ...policies },
});

/** A saved plan as a person builds it in LifeTime: EmployeeBackoffice Development → Production. */
function operatorPlan(r: Awaited<ReturnType<typeof rigs.make>>, extra: { startableByApi?: boolean } = {}) {
  return r.sim.addPlan({
    target: 'Production',
    source: 'Development',
    applications: ['EmployeeBackoffice'],
    status: 'saved',
    notes: 'Built by Carol in LifeTime',
    ...extra,
  });
}

describe('--plan: a saved plan built in LifeTime', () => {
  test('read (no plan created), conflicts checked, started, followed → succeeded; the result says it is not ours', async () => {
    const r = await rigs.make();
    const plan = operatorPlan(r);
    const handle = await r.start(planRequest(plan.key));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    expect(result.deploymentKey).toBe(plan.key);
    expect(result.planOwned).toBe(false);
    expect(result.source).toMatchObject({ name: 'Development' });
    expect(result.target).toMatchObject({ name: 'Production' });
    expect(result.applications).toEqual([
      expect.objectContaining({ name: 'EmployeeBackoffice', versionKey: plan.applicationVersionKeys[0] }),
    ]);
    expect(result.notes.join('\n')).toMatch(/taking over plan .* built in LifeTime \(Development → Production\)/);
    expect(countRequests(r.sim, 'POST', CREATE)).toBe(0);
    expect(countRequests(r.sim, 'GET', new RegExp(`/deployments/${plan.key}/?$`))).toBeGreaterThanOrEqual(2); // read + conflicts
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(1);
    expect(r.sim.plans().map((p) => [p.key, p.status, p.notes])).toEqual([
      [plan.key, 'finished_successful', 'Built by Carol in LifeTime'],
    ]);
    const desc = await handle.describe();
    expect((desc.searchAttributes as Record<string, unknown[]>).LifeTimeDeploymentKey).toEqual([plan.key]);
  });

  test('conflicts gate: approve → started (ContinueWithErrors) → succeeded', async () => {
    const r = await rigs.make();
    const plan = operatorPlan(r);
    r.sim.setScenario({ plan: plan.key, conflicts: 1 });
    const handle = await r.start(planRequest(plan.key));
    const result = await r.run(async () => {
      const gated = await waitForState(handle, (s) => s.gate?.kind === 'conflicts');
      expect(gated.gate!.onReject).toMatch(/leave the plan in LifeTime as it is/);
      expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(0);
      await handle.signal(approveSignal, { by: 'alice', reason: 'known conflict' });
      return handle.result();
    });
    expect(result.outcome).toBe('succeeded');
    const start = r.sim.requests().find((q) => q.method === 'POST' && commandPath('start').test(q.path));
    expect(start?.query).toMatchObject({ ContinueWithErrors: 'true' });
  });

  test('conflicts gate: reject → rejected; the plan is still there, saved, untouched (no delete, no start)', async () => {
    const r = await rigs.make();
    const plan = operatorPlan(r);
    r.sim.setScenario({ plan: plan.key, conflicts: 1 });
    const handle = await r.start(planRequest(plan.key));
    const result = await r.run(async () => {
      await waitForState(handle, (s) => s.gate?.kind === 'conflicts');
      await handle.signal(rejectSignal, { by: 'alice', reason: 'not today' });
      return handle.result();
    });
    expect(result.outcome).toBe('rejected');
    expect(result.planDeleted).toBeFalsy();
    expect(result.cleanup).toBe(
      `plan ${plan.key} left as it was: saved (built in LifeTime, not by this deployment; never deleted)`,
    );
    expect(r.sim.requests().filter((q) => q.method !== 'GET')).toEqual([]);
    expect(r.sim.plan(plan.key)).toMatchObject({
      status: 'saved',
      started: false,
      notes: 'Built by Carol in LifeTime',
    });
  });

  test('cancel while the gate is open → cancelled; the plan is left saved', async () => {
    const r = await rigs.make();
    const plan = operatorPlan(r);
    r.sim.setScenario({ plan: plan.key, conflicts: 1 });
    const handle = await r.start(planRequest(plan.key));
    const result = await r.run(async () => {
      await waitForState(handle, (s) => s.gate?.kind === 'conflicts');
      await handle.cancel();
      return handle.result();
    });
    expect(result.outcome).toBe('cancelled');
    expect(result.cleanup).toMatch(/left as it was: saved/);
    expect(countRequests(r.sim, 'DELETE', DELETE)).toBe(0);
    expect(r.sim.plan(plan.key).status).toBe('saved');
  });

  test('cancel while running with operatorPlanOnStop "leave" → cancelled, the plan is not aborted', async () => {
    const r = await rigs.make({ speed: 20 });
    const plan = operatorPlan(r);
    const handle = await r.start(planRequest(plan.key, { operatorPlanOnStop: 'leave' }));
    const result = await r.run(async () => {
      await waitForState(handle, (s) => s.lifetimeStatus === 'running');
      await handle.cancel();
      return handle.result();
    });
    expect(result.outcome).toBe('cancelled');
    expect(result.cleanup).toMatch(/left as it was: running \(built in LifeTime; operatorPlanOnStop is "leave"\)/);
    expect(countRequests(r.sim, 'POST', commandPath('abort'))).toBe(0);
    expect(r.sim.plan(plan.key).status).not.toBe('aborted');
  });

  test('cancel while running, default operatorPlanOnStop "abort" → abort sent, plan aborted (never deleted)', async () => {
    const r = await rigs.make({ speed: 20 });
    const plan = operatorPlan(r);
    const handle = await r.start(planRequest(plan.key));
    const result = await r.run(async () => {
      await waitForState(handle, (s) => s.lifetimeStatus === 'running');
      await handle.cancel();
      return handle.result();
    });
    expect(result.outcome).toBe('cancelled');
    expect(countRequests(r.sim, 'POST', commandPath('abort'))).toBe(1);
    expect(countRequests(r.sim, 'DELETE', DELETE)).toBe(0);
    expect(r.sim.plan(plan.key).status).toBe('aborted');
  });

  test('the deadline passes at the conflict gate → timed_out; the plan is left saved', async () => {
    const r = await rigs.make();
    const plan = operatorPlan(r);
    r.sim.setScenario({ plan: plan.key, conflicts: 1 });
    const handle = await r.start(planRequest(plan.key, { deadlineMinutes: 0.05 }));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('timed_out');
    expect(result.cleanup).toMatch(/left as it was: saved/);
    expect(r.sim.requests().filter((q) => q.method !== 'GET')).toEqual([]);
    expect(r.sim.plan(plan.key).status).toBe('saved');
  });

  test('a plan LifeTime will not start through the API (Tag & Deploy) → failed at once with its reason; left saved', async () => {
    const r = await rigs.make();
    const plan = operatorPlan(r, { startableByApi: false });
    const handle = await r.start(planRequest(plan.key));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('failed');
    expect(result.failure?.type).toBe('StartRefused');
    expect(result.failure?.message).toMatch(
      /^LifeTime refused to start the plan: Command start can't be executed .*Tag & Deploy/,
    );
    expect(result.cleanup).toMatch(/left as it was: saved/);
    expect(countRequests(r.sim, 'DELETE', DELETE)).toBe(0);
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBeLessThanOrEqual(2); // no waiting, no retry storm
    expect(r.sim.plan(plan.key).status).toBe('saved');
  });

  test('a plan that is not saved (running) → failed (PlanNotUsable), left as it was', async () => {
    const r = await rigs.make();
    const plan = r.sim.addPlan({ target: 'Production', applications: ['EmployeeBackoffice'], status: 'running' });
    const handle = await r.start(planRequest(plan.key));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('failed');
    expect(result.failure).toMatchObject({
      type: 'PlanNotUsable',
      message: expect.stringMatching(/is running in LifeTime, not saved/),
    });
    expect(r.sim.requests().filter((q) => q.method !== 'GET')).toEqual([]);
    expect(r.sim.plan(plan.key).status).toBe('running');
  });

  test('an unknown plan key → failed (PlanNotUsable, not found), nothing done in LifeTime', async () => {
    const r = await rigs.make();
    const handle = await r.start(planRequest('00000000-0000-4000-8000-000000000000'));
    const result = await r.run(() => handle.result());
    expect(result.failure).toMatchObject({ type: 'PlanNotUsable', message: expect.stringMatching(/not found/) });
    expect(r.sim.requests().filter((q) => q.method !== 'GET')).toEqual([]);
  });
});
