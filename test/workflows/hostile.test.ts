/**
 * What a hostile sender or a flaky LifeTime does to a deployment, on the dev server against the simulator over
 * HTTP: floods and 1 MiB signals at a gate, malformed and missing status answers, replies lost after LifeTime
 * carried a request out. Each deployment must end right, with one plan, and never abort or delete on its own
 * read errors.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { approveSignal, stateQuery, type DeployState } from '../../src/workflows/messages';
import { startDevServer } from '../harness';
import {
  commandPath,
  countRequests,
  CREATE,
  failedWorkflowTasks,
  useRigs,
  type Rig,
  request,
  runLengths,
  waitForState,
} from './helpers';

let env: TestWorkflowEnvironment;
const rigs = useRigs(startDevServer, (started) => (env = started));

const STATUS = '^/deployments/[^/]+/status/?$';
const ABORTS_OR_DELETES = (r: Rig) =>
  countRequests(r.sim, 'POST', commandPath('abort')) + countRequests(r.sim, 'DELETE', /\/deployments\/[^/]+\/?$/);

describe('a flood of signals at a gate', () => {
  test('three 1 MiB approvals from a non-approver and 1,000 small ones, then a valid approval → succeeds', async () => {
    const r = await rigs.make();
    const base = request({ applications: [{ app: 'PayrollPortal' }] });
    const threshold = 500;
    const handle = await r.start({
      ...base,
      policies: { ...base.policies, approvers: ['alice'], continueAsNewAfterEvents: threshold },
    });
    const mib = 'm'.repeat(1024 * 1024);
    const states: DeployState[] = [];
    const result = await r.run(async () => {
      const open = await waitForState(handle, (x) => x.gate?.kind === 'conflicts');
      for (let i = 0; i < 3; i++) await handle.signal(approveSignal, { by: `${mib}${i}` });
      states.push(await handle.query(stateQuery));
      for (let i = 0; i < 1000; i++) {
        await handle.signal(approveSignal, { by: `mallory-${i}` });
        if (i % 250 === 249) states.push(await handle.query(stateQuery)); // the query answers throughout
      }
      const after = await waitForState(handle, (x) => (x.ignoredNotKept ?? 0) + x.decisions.length >= 1003);
      expect(after.gate).toMatchObject({ id: open.gate!.id, deadline: open.gate!.deadline }); // same gate, reopened
      expect(after.runs).toBeGreaterThanOrEqual(1); // the flood made the run continue-as-new
      await handle.signal(approveSignal, { by: 'Alice', reason: 'checked' }); // names compare case-folded
      return handle.result();
    });
    expect(result.outcome).toBe('succeeded');
    expect(r.sim.plans()).toHaveLength(1);
    const applied = result.decisions.filter((d) => d.applied);
    expect(applied).toEqual([expect.objectContaining({ by: 'Alice', decision: 'approve' })]);
    expect(result.decisions.filter((d) => !d.applied)).toHaveLength(20);
    expect(result.ignoredNotKept).toBe(1003 - 20);
    for (const d of result.decisions) expect(d.by.length).toBeLessThan(300); // 1 MiB names are clipped
    const resultBytes = Buffer.byteLength(JSON.stringify(result));
    expect(resultBytes).toBeLessThan(256 * 1024);
    for (const s of states) expect(Buffer.byteLength(JSON.stringify(s))).toBeLessThan(256 * 1024);
    // No workflow task failed in any run, and every run stayed near its continue-as-new threshold.
    const lengths = await runLengths(env, handle.workflowId, handle.firstExecutionRunId);
    expect(lengths.length).toBeGreaterThanOrEqual(2);
    for (const len of lengths) expect(len).toBeLessThan(threshold + 100);
    // No workflow task failed because of the workflow: the only failures are the server's own flow control under a
    // flood (it closes a task to flush buffered 1 MiB signals, and refuses a continue-as-new while signals arrive),
    // both retried by the server at once.
    const failed = await failedWorkflowTasks(env, handle.workflowId, handle.firstExecutionRunId);
    expect(failed.filter((c) => c !== 'FORCE_CLOSE_COMMAND' && c !== 'UNHANDLED_COMMAND')).toEqual([]);
    console.log(
      `flood: result ${resultBytes} bytes; state sizes ${states.map((s) => Buffer.byteLength(JSON.stringify(s))).join(', ')} bytes; runs ${lengths.join(', ')} events; server-side task failures: ${failed.join(', ') || 'none'}`,
    );
  });

  test('the requester approving under another case ("Carol" for carol) is ignored as self-approval', async () => {
    const r = await rigs.make();
    const base = request({ applications: [{ app: 'PayrollPortal' }], requestedBy: 'carol' });
    const handle = await r.start(base);
    const s = await r.run(async () => {
      await waitForState(handle, (x) => x.gate?.kind === 'conflicts');
      await handle.signal(approveSignal, { by: ' Carol ' });
      const seen = await waitForState(handle, (x) => x.decisions.length === 1);
      await handle.cancel();
      await handle.result();
      return seen;
    });
    expect(s.decisions[0]).toMatchObject({ applied: false, ignored: expect.stringMatching(/self-approval/) });
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(0);
  });
});

describe('LifeTime status unreadable: waited out, the plan never touched', () => {
  test.each([
    ['one malformed status body', { malformedJson: { count: 1 } }, 0],
    ['five malformed status bodies in a row', { malformedJson: { count: 5 } }, 0],
    ['404 on our plan status for 20 s', { errorRate: 1, errorStatus: 404 }, 20_000],
  ] as const)('%s → succeeds, one plan, no abort and no delete', async (_what, fault, forMs) => {
    const r = await rigs.make();
    r.sim.setFaults({ ...fault, match: { method: 'GET', path: STATUS } });
    const started = Date.now();
    const handle = await r.start(request());
    const result = await r.run(async () => {
      if (forMs) {
        const s = await waitForState(handle, (x) => x.unreadable !== undefined);
        expect(s.unreadable!.error).toMatch(/404/);
        await new Promise((res) => setTimeout(res, Math.max(0, forMs - (Date.now() - started))));
        r.sim.clearFaults();
      }
      return handle.result();
    });
    expect(result.failure).toBeUndefined();
    expect(result.outcome).toBe('succeeded');
    expect(result.lifetimeStatus).toBe('finished_successful');
    expect(r.sim.plans()).toHaveLength(1);
    expect(ABORTS_OR_DELETES(r)).toBe(0);
    // Every malformed body was served (the fault's count is used up), or the 404s were.
    const notFound = r.sim.requests().filter((q) => /\/status\/?$/.test(q.path) && q.status === 404).length;
    const bad = forMs ? notFound : 'malformedJson' in fault ? fault.malformedJson.count : 0;
    if (forMs) expect(notFound).toBeGreaterThan(3);
    else expect(r.sim.faults()?.malformedJson?.count).toBe(0);
    console.log(`${_what}: ${Date.now() - started} ms, ${bad} bad status answers, ${result.polls} polls`);
  });
});

describe('replies lost after LifeTime carried the request out (simulator fault dropReply)', () => {
  test('create → the retry finds the plan by its marker: one plan, succeeded', async () => {
    const r = await rigs.make();
    r.sim.setFaults({ dropReply: { count: 1 }, match: { method: 'POST', path: '^/deployments/?$' } });
    const handle = await r.start(request());
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    expect(r.sim.plans()).toHaveLength(1);
    expect(countRequests(r.sim, 'POST', CREATE)).toBe(1);
    expect(r.sim.requests().filter((q) => q.dropped)).toHaveLength(1);
  });

  test('start → the retry reads the plan, finds it started, follows it: one start, succeeded', async () => {
    const r = await rigs.make();
    r.sim.setFaults({ dropReply: { count: 1 }, match: { method: 'POST', path: '/start/?$' } });
    const handle = await r.start(request());
    const result = await r.run(() => handle.result());
    expect(result.failure).toBeUndefined();
    expect(result.outcome).toBe('succeeded');
    expect(result.lifetimeStatus).toBe('finished_successful');
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(1);
    expect(result.notes.join(' ')).toMatch(/already started/);
    expect(result.notes.join(' ')).not.toMatch(/busy/);
    expect(r.sim.plans()).toHaveLength(1);
  });

  test('continue on a two-step target → the retry finds it continued: one continue, succeeded', async () => {
    const r = await rigs.make();
    r.sim.setScenario({ application: 'EmployeeBackoffice', interventions: [{ info: 'deployment_prepared' }] });
    r.sim.setFaults({ dropReply: { count: 1 }, match: { method: 'POST', path: '/continue/?$' } });
    const base = request();
    const handle = await r.start({
      ...base,
      policies: { ...base.policies, intervention: { deployment_prepared: 'continue' } },
    });
    const result = await r.run(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    expect(countRequests(r.sim, 'POST', commandPath('continue'))).toBe(1);
    expect(result.notes.join(' ')).toMatch(/continue had taken effect/);
    expect(r.sim.plans()).toHaveLength(1);
  });
});
