/**
 * The startPlan activity against the simulator: a refused start on a target that runs another plan is "busy" (a
 * matter for the busy-target policy), even when many newer plans on that target have finished: the running plan
 * is found among the most recently started ones, not among the most recently created (the 50-deployment stack
 * test met this: created early, started late, it fell outside the 20 plans looked at, and the start was taken for
 * a refusal).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, unavailableTarget } from '../../src/activities';
import { LifeTimeClient } from '../../src/lifetime/client';
import { SEED_KEYS, startSimulator, type SimulatorHandle } from '../../src/simulator';

let sim: SimulatorHandle;
afterEach(() => sim?.close());

test('a plan created before 25 finished ones and started after them keeps the target busy: busy, not refused', async () => {
  // Slow LifeTime and one plan at a time on the target: the running plan stays running through the test.
  sim = await startSimulator({ port: 0, speed: 0.001, parallelLimit: 1 });
  const lt = new LifeTimeClient({ baseUrl: sim.url, token: sim.token, timeoutMs: 5000, retryLimit: 1 });
  const early = sim.addPlan({ target: 'Production', status: 'saved' });
  for (let i = 0; i < 25; i++) sim.addPlan({ target: 'Production', status: 'finished_successful' });
  await new Promise((r) => setTimeout(r, 1100)); // a later StartedOn even at one-second resolution
  await lt.deployments.start(early.key, { redeployOutdated: false, continueWithErrors: false });
  expect(sim.plan(early.key).status).toBe('running');

  const ours = sim.addPlan({ target: 'Production', status: 'saved' });
  const activities = createActivities(lt);
  const result = await new MockActivityEnvironment({ attempt: 1 }).run(activities.startPlan, {
    key: ours.key,
    targetKey: SEED_KEYS.production,
    redeployOutdated: false,
  });
  expect(result).toEqual({ started: false, busy: expect.stringContaining(`plan ${early.key} is running`) });
});

test('a refusal for maintenance mode or an offline target is "unavailable"; a conflict naming a Maintenance app is not', () => {
  const head = "Command start can't be executed for deployment k.";
  expect(unavailableTarget(`${head} The Production environment is in maintenance mode (patching).`)).toEqual({
    kind: 'maintenance mode',
    lifetime: `${head} The Production environment is in maintenance mode (patching).`,
  });
  expect(unavailableTarget(`${head} The Production environment is offline.`)?.kind).toBe('offline');
  expect(
    unavailableTarget(`${head} The deployment plan has 1 conflict(s). Producer Element Missing: MaintenanceTools`),
  ).toBeUndefined();
});
