/**
 * A flaky LifeTime over long stretches of workflow time, on the time-skipping server: a status that answers 503
 * for five minutes, and a lost reply to the `abort` the deployment deadline sends.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { stateQuery } from '../../src/workflows/messages';
import { startTimeSkippingServer } from '../harness';
import { commandPath, countRequests, useRigs, timeSkippingRequest, DEFAULT_POLLING } from './helpers';

const request = timeSkippingRequest;

let env: TestWorkflowEnvironment;
const rigs = useRigs(startTimeSkippingServer, (started) => (env = started));

test('status answers 503 for 5 minutes of workflow time → waited out and shown; succeeds, one plan, no abort or delete', async () => {
  const r = await rigs.make({ progression: 'per-poll' });
  const handle = await r.start(request({ policies: { polling: DEFAULT_POLLING } }));
  const result = await r.run(async () => {
    for (let i = 0; i < 100 && (await handle.query(stateQuery)).lifetimeStatus !== 'running'; i++)
      await env.sleep('2s');
    r.sim.setFaults({ errorRate: 1, errorStatus: 503, match: { method: 'GET', path: '/status/?$' } });
    await env.sleep('4m');
    const mid = await handle.query(stateQuery);
    expect(mid.unreadable).toMatchObject({ error: expect.stringMatching(/503/) });
    expect(mid.unreadable!.attempts).toBeGreaterThan(3);
    expect(mid.outcome).toBeUndefined();
    await env.sleep('1m');
    r.sim.clearFaults();
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded');
  expect(result.lifetimeStatus).toBe('finished_successful');
  expect(r.sim.plans()).toHaveLength(1);
  expect(countRequests(r.sim, 'POST', commandPath('abort'))).toBe(0);
  expect(countRequests(r.sim, 'DELETE', /\/deployments\/[^/]+\/?$/)).toBe(0);
  const failures = r.sim.requests().filter((q) => q.status === 503).length;
  expect(failures).toBeGreaterThan(5);
  console.log(`503 for 5 min: ${failures} answers 503, ${result.polls} good polls, ${result.durations.totalSeconds} s`);
});

test('the reply to the deadline abort is lost → the retry finds the plan aborting: one abort, timed_out, aborted', async () => {
  const r = await rigs.make({ progression: 'per-poll' });
  r.sim.setFaults({ dropReply: { count: 1 }, match: { method: 'POST', path: '/abort/?$' } });
  const handle = await r.start(request({ policies: { polling: DEFAULT_POLLING, deadlineMinutes: 0.1 } }));
  const result = await r.run(() => handle.result());
  expect(result.outcome).toBe('timed_out');
  expect(result.lifetimeStatus).toBe('aborted');
  expect(result.cleanup).toMatch(/abort sent to plan .*; plan ended aborted/);
  expect(result.notes.join(' ')).toMatch(/abort had taken effect/);
  expect(countRequests(r.sim, 'POST', commandPath('abort'))).toBe(1);
  expect(r.sim.requests().filter((q) => q.dropped)).toHaveLength(1);
  expect(r.sim.plans().map((p) => p.status)).toEqual(['aborted']);
});
