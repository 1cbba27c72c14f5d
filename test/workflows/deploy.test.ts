/**
 * deployApplications on the Temporal dev server against the LifeTime simulator (wall-clock progression at
 * high speed). Every test asserts what can be observed: the workflow result, the `state` query, the
 * simulator's plans and request log, the fetched history.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEED_KEYS } from '../../src/simulator';
import { startOrAttach } from '../../src/starter';
import {
  approveSignal,
  rejectSignal,
  stateQuery,
  WORKFLOW_TYPE,
  type DeployResult,
} from '../../src/workflows/messages';
import { historyEventTypes, startDevServer } from '../harness';
import { commandPath, countRequests, CREATE, useRigs, maybeRecordHistory, request, waitForState } from './helpers';

let env: TestWorkflowEnvironment;
const rigs = useRigs(startDevServer, (started) => (env = started));

describe('happy paths', () => {
  test('seed path: EmployeeBackoffice Development → Production succeeds with exactly one plan', async () => {
    const r = await rigs.make();
    const handle = await r.start(request());
    const result = await r.run(() => handle.result());

    expect(result.outcome).toBe('succeeded');
    expect(result.lifetimeStatus).toBe('finished_successful');
    expect(result.deploymentKey).toBe(SEED_KEYS.firstDeployment);
    expect(result.applications).toEqual([
      expect.objectContaining({ name: 'EmployeeBackoffice', versionKey: SEED_KEYS.employeeBackoffice10 }),
    ]);
    expect(result.log.map((l) => l.message)).toContain('Deploy completed');
    expect(result.polls).toBeGreaterThan(0);
    expect(countRequests(r.sim, 'POST', CREATE)).toBe(1);
    expect(r.sim.plans()).toHaveLength(1);
    expect(r.sim.plans()[0]!.status).toBe('finished_successful');

    const events = await historyEventTypes(env, handle.workflowId);
    // Steps 1–5 are activities; step 6 polls with local activities after durable timers.
    expect(events.filter((e) => e === 'ActivityTaskCompleted').length).toBeGreaterThanOrEqual(5);
    expect(events).toContain('TimerFired');
    const fetched = await handle.fetchHistory();
    const scheduled = (fetched.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    expect(scheduled).not.toContain('getStatus');
    // One local-activity marker per status poll; patch markers (one per patch the run met) are not polls.
    const markers = (fetched.events ?? []).flatMap((e) => {
      const m = e.markerRecordedEventAttributes;
      if (!m) return [];
      const data = m.details?.data?.payloads?.[0]?.data;
      const type = data ? (JSON.parse(Buffer.from(data).toString()) as { activity_type?: string }).activity_type : '';
      return [`${m.markerName}:${type ?? ''}`];
    });
    expect(markers.filter((m) => m === 'core_local_activity:getStatus')).toHaveLength(result.polls);
    expect(markers.filter((m) => m.startsWith('core_patch'))).not.toHaveLength(0);
    expect(countRequests(r.sim, 'GET', /\/status\/?$/)).toBe(result.polls);
    // Secrets stay out of history.
    const history = JSON.stringify(fetched);
    expect(history).not.toContain(r.sim.token);

    const desc = await handle.describe();
    const sa = desc.searchAttributes as Record<string, unknown[]>;
    expect(sa.LifeTimeStatus).toEqual(['finished_successful']);
    expect(sa.LifeTimeTarget).toEqual(['Production']);
    expect(sa.LifeTimeOutcome).toEqual(['succeeded']);
    expect(sa.LifeTimeApplications).toEqual(['EmployeeBackoffice']);
    await maybeRecordHistory(env, handle.workflowId, 'seed-path');
  });

  test('several applications in one plan: HRCore + PayrollPortal, no conflicts', async () => {
    const r = await rigs.make();
    const handle = await r.start(request({ applications: [{ app: 'HRCore' }, { app: 'PayrollPortal' }] }));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    const plans = r.sim.plans();
    expect(plans).toHaveLength(1);
    expect(plans[0]!.applications.map((a) => a.versionKey).sort()).toEqual(
      [SEED_KEYS.hrCore12, SEED_KEYS.payrollPortal12].sort(),
    );
    expect(result.decisions).toEqual([]);
  });

  test('an application given by its key is read directly: no application list', async () => {
    const r = await rigs.make();
    const handle = await r.start(request({ applications: [{ app: SEED_KEYS.employeeBackoffice }] }));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    expect(result.applications[0]).toMatchObject({
      name: 'EmployeeBackoffice',
      versionKey: SEED_KEYS.employeeBackoffice10,
    });
    const appReads = r.sim.requests().filter((q) => q.method === 'GET' && /\/applications\//.test(q.path));
    expect(appReads.map((q) => q.path.replace(/^.*\/lifetimeapi\/rest\/v2/, ''))).toEqual([
      `/applications/${SEED_KEYS.employeeBackoffice}/`,
    ]);
  });

  test('names → keys: a worker lists the applications once; its next deployment by name reads only that application', async () => {
    const r = await rigs.make();
    const listReads = () =>
      r.sim.requests().filter((q) => q.method === 'GET' && /\/applications\/?$/.test(q.path)).length;
    await r.run(async () => {
      const first = await r.start(
        request({ applications: [{ app: 'HRCore' }], target: 'Quality' }),
        `${r.taskQueue}-1`,
      );
      expect((await first.result()).outcome).toBe('succeeded');
      expect(listReads()).toBe(1);
      const second = await r.start(request(), `${r.taskQueue}-2`);
      expect((await second.result()).outcome).toBe('succeeded');
      expect(listReads()).toBe(1); // the index answered: no second list
      const third = await r.start(request({ applications: [{ app: 'NoSuchApp' }] }), `${r.taskQueue}-3`);
      expect((await third.result()).failure?.type).toBe('UnknownApplication');
    });
    expect(listReads()).toBe(2); // a name not in the index refreshes it once before saying it is unknown
  });

  test('an application modified since its last tag deploys that tag and says so', async () => {
    const r = await rigs.make();
    const handle = await r.start(request({ applications: [{ app: 'ExpenseTracker' }], target: 'Quality' }));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    expect(result.applications[0]).toMatchObject({ versionKey: SEED_KEYS.expenseTracker21, isModified: true });
    expect(result.notes.join(' ')).toMatch(/ExpenseTracker has changes in Development that are not tagged/);
  });

  test.each([
    ['warnings', 'finished_with_warnings', 'succeeded_with_warnings'],
    ['errors', 'finished_with_errors', 'failed'],
    ['aborted', 'aborted', 'aborted'],
  ] as const)('LifeTime ends %s → outcome %s', async (preset, status, outcome) => {
    const r = await rigs.make();
    r.sim.applyPreset({ name: preset, application: 'EmployeeBackoffice' });
    const handle = await r.start(request());
    const result = await r.run(() => handle.result());
    expect(result.lifetimeStatus).toBe(status);
    expect(result.outcome).toBe(outcome);
    await maybeRecordHistory(env, handle.workflowId, `ends-${preset}`);
  });
});

describe('conflict gate', () => {
  const payroll = () => request({ applications: [{ app: 'PayrollPortal' }] });

  test('approve → the plan starts and finishes; the decision is recorded', async () => {
    const r = await rigs.make();
    const handle = await r.start(payroll());
    const result = await r.run(async () => {
      const s = await waitForState(handle, (x) => x.gate?.kind === 'conflicts');
      expect(s.gate!.conflicts!.join(' ')).toMatch(/Producer Element Missing/);
      expect(s.lifetimeStatus).toBe('saved');
      expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(0);
      const sa = (await handle.describe()).searchAttributes as Record<string, unknown[]>;
      expect(sa.LifeTimeGate).toEqual(['conflicts']);
      await handle.signal(approveSignal, { by: 'alice', reason: 'HRCore goes out tomorrow' });
      return handle.result();
    });
    expect(result.outcome).toBe('succeeded');
    expect(result.decisions).toEqual([
      expect.objectContaining({
        decision: 'approve',
        by: 'alice',
        reason: 'HRCore goes out tomorrow',
        applied: true,
        gate: 'conflicts',
      }),
    ]);
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(1);
    // LifeTime refuses to start a plan with conflicts unless told to go on: the approval says so.
    const starts = r.sim.requests().filter((q) => q.method === 'POST' && /\/start\/?$/.test(q.path));
    expect(starts.map((q) => q.query.ContinueWithErrors)).toEqual(['true']);
    await maybeRecordHistory(env, handle.workflowId, 'conflicts-approve');
  });

  test('a plan without conflicts is started without ContinueWithErrors', async () => {
    const r = await rigs.make();
    const handle = await r.start(request());
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    const starts = r.sim.requests().filter((q) => q.method === 'POST' && /\/start\/?$/.test(q.path));
    expect(starts).toHaveLength(1);
    expect(starts[0]!.query.ContinueWithErrors ?? 'false').toBe('false');
  });

  test('approved, but LifeTime still refuses to start → failed, the message names the conflicts, no plan left', async () => {
    const r = await rigs.make();
    // An older LifeTime, or conflicts it will not ignore: every start is refused.
    r.sim.setFaults({ errorRate: 1, errorStatus: 400, match: { method: 'POST', path: '/start/?$' } });
    const handle = await r.start(payroll());
    const result = await r.run(async () => {
      await waitForState(handle, (x) => x.gate?.kind === 'conflicts');
      await handle.signal(approveSignal, { by: 'alice' });
      return handle.result();
    });
    expect(result.outcome).toBe('failed');
    expect(result.failure?.type).toBe('StartRefused');
    expect(result.failure?.message).toMatch(/despite the approval of its conflicts? \(.*Producer Element Missing/);
    expect(result.failure?.message).toMatch(/Solve the conflicts in LifeTime/);
    expect(result.cleanup).toMatch(/deleted/);
    expect(r.sim.plans()).toHaveLength(0);
  });

  test('reject → the plan is deleted in LifeTime, outcome rejected', async () => {
    const r = await rigs.make();
    const handle = await r.start(payroll());
    const result = await r.run(async () => {
      await waitForState(handle, (x) => x.gate?.kind === 'conflicts');
      await handle.signal(rejectSignal, { by: 'bob', reason: 'wait for HRCore' });
      return handle.result();
    });
    expect(result.outcome).toBe('rejected');
    expect(result.cleanup).toMatch(/deleted/);
    expect(countRequests(r.sim, 'DELETE', /\/deployments\/[^/]+\/?$/)).toBe(1);
    expect(r.sim.plans()).toHaveLength(0);
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(0);
    await maybeRecordHistory(env, handle.workflowId, 'conflicts-reject');
  });

  test('conflicts policy "reject" → deleted without a gate', async () => {
    const r = await rigs.make();
    const handle = await r.start({ ...payroll(), policies: { ...payroll().policies, conflicts: 'reject' } });
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('rejected');
    expect(result.decisions[0]).toMatchObject({ by: 'policy', automatic: true });
    expect(r.sim.plans()).toHaveLength(0);
  });

  test('stray, unauthorised and self decisions are recorded and ignored, never carried into the gate', async () => {
    const r = await rigs.make();
    const base = payroll();
    const handle = await r.start({ ...base, policies: { ...base.policies, approvers: ['alice', 'ci-bot'] } });
    const result = await r.run(async () => {
      // Before any gate: stray.
      await handle.signal(approveSignal, { by: 'alice', reason: 'too early' });
      await waitForState(handle, (x) => x.gate?.kind === 'conflicts');
      await handle.signal(approveSignal, { by: 'mallory' }); // not on the list
      await handle.signal(approveSignal, { by: 'ci-bot' }); // the requester: self-approval
      await handle.signal(approveSignal, { by: '' } as never); // invalid payload
      const s = await waitForState(handle, (x) => x.decisions.length >= 4);
      expect(s.gate).toBeDefined(); // still waiting: nothing applied
      await handle.signal(approveSignal, { by: 'alice', reason: 'checked' });
      return handle.result();
    });
    expect(result.outcome).toBe('succeeded');
    const d = result.decisions;
    expect(d.map((x) => [x.by, x.applied])).toEqual([
      ['alice', false],
      ['mallory', false],
      ['ci-bot', false],
      ['', false],
      ['alice', true],
    ]);
    expect(d[0]!.ignored).toBe('no gate open');
    expect(d[1]!.ignored).toMatch(/not on the approver list/);
    expect(d[2]!.ignored).toMatch(/self-approval/);
    expect(d[3]!.ignored).toMatch(/invalid payload: by/);
    await maybeRecordHistory(env, handle.workflowId, 'ignored-decisions');
  });
});

describe('intervention gate', () => {
  const infos = [
    'deployment_prepared',
    'needs_configuration_or_confirmation',
    'business_process_impact',
    'deployment_suspended',
  ] as const;

  test.each(infos)('%s → approve sends continue and the deployment succeeds', async (info) => {
    const r = await rigs.make();
    r.sim.applyPreset({ name: 'needs-intervention', application: 'EmployeeBackoffice', info });
    const handle = await r.start(request());
    const result = await r.run(async () => {
      const s = await waitForState(handle, (x) => x.gate?.kind === 'intervention');
      expect(s.gate!.info).toBe(info);
      expect(s.lifetimeStatus).toBe('needs_user_intervention');
      expect(countRequests(r.sim, 'POST', commandPath('continue'))).toBe(0);
      await handle.signal(approveSignal, { by: 'alice' });
      return handle.result();
    });
    expect(countRequests(r.sim, 'POST', commandPath('continue'))).toBe(1);
    expect(result.outcome).toBe('succeeded');
    if (info === 'deployment_prepared') await maybeRecordHistory(env, handle.workflowId, 'intervention-approve');
  });

  test.each(infos)('%s → reject sends abort and the deployment ends aborted', async (info) => {
    const r = await rigs.make();
    r.sim.applyPreset({ name: 'needs-intervention', application: 'EmployeeBackoffice', info });
    const handle = await r.start(request());
    const result = await r.run(async () => {
      await waitForState(handle, (x) => x.gate?.kind === 'intervention');
      await handle.signal(rejectSignal, { by: 'alice', reason: 'not today' });
      return handle.result();
    });
    expect(countRequests(r.sim, 'POST', commandPath('abort'))).toBe(1);
    expect(countRequests(r.sim, 'POST', commandPath('continue'))).toBe(0);
    expect(result.lifetimeStatus).toBe('aborted');
    expect(result.outcome).toBe('aborted');
    expect(r.sim.plans()[0]!.status).toBe('aborted');
  });

  test('intervention policy "continue" for deployment_prepared continues without a gate', async () => {
    const r = await rigs.make();
    r.sim.applyPreset({ name: 'needs-intervention', application: 'EmployeeBackoffice', info: 'deployment_prepared' });
    const handle = await r.start(
      request({
        policies: { polling: request().policies!.polling, intervention: { deployment_prepared: 'continue' } },
      }),
    );
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    expect(result.decisions).toEqual([expect.objectContaining({ by: 'policy', decision: 'approve', automatic: true })]);
  });
});

describe('robustness', () => {
  test('lost create response → the retry finds the plan by its marker: exactly one plan', async () => {
    const r = await rigs.make();
    r.sim.applyPreset({ name: 'lost-create-response' });
    const handle = await r.start(request());
    const [result, s] = await r.run(async () => [await handle.result(), await handle.query(stateQuery)] as const);
    expect(result.outcome).toBe('succeeded');
    expect(countRequests(r.sim, 'POST', CREATE)).toBe(1); // the retry listed, found it, did not create again
    expect(r.sim.plans()).toHaveLength(1);
    expect(s.planReused).toBe(true);
    await maybeRecordHistory(env, handle.workflowId, 'lost-create-response');
  });

  test('the same request started twice (same workflow ID) → attaches: one workflow, one plan', async () => {
    const r = await rigs.make();
    const first = await startOrAttach(env.client, request(), r.taskQueue, 'same-id-twice');
    const second = await startOrAttach(env.client, request(), r.taskQueue, 'same-id-twice');
    expect([first.existing, second.existing]).toEqual([false, true]);
    await expect(r.start(request(), 'same-id-twice')).rejects.toThrow(/already started/i); // one start path: FAIL
    const h1 = first.handle;
    const result = await r.run(() => h1.result());
    expect(result.outcome).toBe('succeeded');
    expect(countRequests(r.sim, 'POST', CREATE)).toBe(1);
    expect(r.sim.plans()).toHaveLength(1);
  });

  test('transient 5xx while polling → retried, the deployment completes', async () => {
    const r = await rigs.make({ speed: 150 });
    r.sim.setFaults({ errorEvery: 2, errorStatus: 503, match: { method: 'GET', path: '/status/?$' } });
    const handle = await r.start(request());
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    const statuses = r.sim
      .requests()
      .filter((x) => /\/status\/?$/.test(x.path))
      .map((x) => x.status);
    expect(statuses).toContain(503);
    expect(statuses).toContain(200);
  });

  test('bad token → fails fast with the clear message; no plan', async () => {
    const r = await rigs.make({}, 'not-the-token');
    const handle = await r.start(request());
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('failed');
    expect(result.failure).toMatchObject({
      type: 'LifeTimeAuth',
      message: expect.stringMatching(/authentication failed: check the LifeTime service account token/),
    });
    expect(r.sim.plans()).toHaveLength(0);
    expect(r.sim.requests().filter((x) => x.status === 401)).toHaveLength(1); // not retried
  });

  test('unknown application → clear error naming the known ones; no plan created', async () => {
    const r = await rigs.make();
    const handle = await r.start(request({ applications: [{ app: 'EmployeeBackofice' }] }));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('failed');
    expect(result.failure?.type).toBe('UnknownApplication');
    expect(result.failure?.message).toMatch(/application "EmployeeBackofice" not found; known: .*EmployeeBackoffice/);
    expect(countRequests(r.sim, 'POST', CREATE)).toBe(0);
  });

  test('unknown environment → clear error naming the known ones; no plan created', async () => {
    const r = await rigs.make();
    const handle = await r.start(request({ target: 'Prod' }));
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('failed');
    expect(result.failure?.type).toBe('UnknownEnvironment');
    expect(result.failure?.message).toMatch(/environment "Prod" not found; known: Development, Quality, Production/);
    expect(countRequests(r.sim, 'POST', CREATE)).toBe(0);
  });

  test('invalid request → fails before anything happens in LifeTime, naming the field', async () => {
    const r = await rigs.make();
    // Started without the starter (which refuses it before starting): the workflow's own check answers.
    const handle = await env.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: r.taskQueue,
      workflowId: `invalid-${r.taskQueue}`,
      args: [{ ...request(), policies: { conflicts: 'maybe' } }],
    });
    const result = (await r.run(() => handle.result())) as DeployResult;
    expect(result.outcome).toBe('failed');
    expect(result.failure?.type).toBe('InvalidRequest');
    expect(result.failure?.message).toMatch(
      /policies\.conflicts: conflicts must be one of: gate, reject \(got "maybe"\)/,
    );
    expect(r.sim.requests()).toHaveLength(0);
  });
});

describe('cancellation cleans up in LifeTime', () => {
  test('cancel while saved (conflict gate open) → plan deleted, outcome cancelled', async () => {
    const r = await rigs.make();
    const handle = await r.start(request({ applications: [{ app: 'PayrollPortal' }] }));
    const result: DeployResult = await r.run(async () => {
      await waitForState(handle, (x) => x.gate?.kind === 'conflicts');
      await handle.cancel();
      return handle.result();
    });
    expect(result.outcome).toBe('cancelled');
    expect(result.cleanup).toMatch(/deleted/);
    expect(r.sim.plans()).toHaveLength(0);
  });

  test('cancel while running → abort sent, plan aborted', async () => {
    const r = await rigs.make({ speed: 20 });
    const handle = await r.start(request());
    const result = await r.run(async () => {
      await waitForState(handle, (x) => x.lifetimeStatus === 'running');
      await handle.cancel();
      return handle.result();
    });
    expect(result.outcome).toBe('cancelled');
    expect(countRequests(r.sim, 'POST', commandPath('abort'))).toBe(1);
    expect(r.sim.plans()[0]!.status).toBe('aborted');
    expect(result.lifetimeStatus).toBe('aborted');
    await maybeRecordHistory(env, handle.workflowId, 'cancel-running');
  });

  test('cancel while in an intervention gate → abort sent, plan aborted', async () => {
    const r = await rigs.make();
    r.sim.applyPreset({
      name: 'needs-intervention',
      application: 'EmployeeBackoffice',
      info: 'needs_configuration_or_confirmation',
    });
    const handle = await r.start(request());
    const result = await r.run(async () => {
      await waitForState(handle, (x) => x.gate?.kind === 'intervention');
      await handle.cancel();
      return handle.result();
    });
    expect(result.outcome).toBe('cancelled');
    expect(countRequests(r.sim, 'POST', commandPath('abort'))).toBe(1);
    expect(r.sim.plans()[0]!.status).toBe('aborted');
  });
});
