import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createSmokeActivities } from './fixtures/smoke-activities';
import {
  createTestWorker,
  historyEventTypes,
  startDevServer,
  startTimeSkippingServer,
  useTestEnvironment,
} from './harness';

const workflowsPath = require.resolve('./fixtures/smoke-workflows');

describe('dev server round trip', () => {
  let env: TestWorkflowEnvironment;
  useTestEnvironment(startDevServer, (started) => (env = started));

  test('activity + durable timer return a value and leave ActivityTaskCompleted and TimerFired in history', async () => {
    const { worker, taskQueue } = await createTestWorker(env, { workflowsPath, activities: createSmokeActivities() });
    const workflowId = `smoke-${taskQueue}`;
    const result = await worker.runUntil(
      env.client.workflow.execute('activityAndTimer', { taskQueue, workflowId, args: ['LifeTime'] }),
    );
    expect(result).toBe('hello, LifeTime after a durable timer');
    const events = await historyEventTypes(env, workflowId);
    expect(events).toContain('ActivityTaskCompleted');
    expect(events).toContain('TimerFired');
  });
});

describe('time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  useTestEnvironment(startTimeSkippingServer, (started) => (env = started));

  test('a 2-hour durable sleep completes in seconds of wall time', async () => {
    const { worker, taskQueue } = await createTestWorker(env, { workflowsPath });
    const wallStart = Date.now();
    const workflowStart = await env.currentTimeMs();
    const result = await worker.runUntil(
      env.client.workflow.execute('sleepTwoHours', { taskQueue, workflowId: `sleep-${taskQueue}` }),
    );
    const wallMs = Date.now() - wallStart;
    const workflowMs = (await env.currentTimeMs()) - workflowStart;
    expect(result).toBe('woke up');
    // Workflow time moved at least two hours; the wall clock is reported, not asserted (the jest timeout of
    // 120 s bounds it anyway, 60× less than the sleep).
    expect(workflowMs).toBeGreaterThanOrEqual(2 * 3600_000);
    console.log(
      `time skipping: ${(workflowMs / 3600_000).toFixed(2)} h of workflow time in ${(wallMs / 1000).toFixed(1)} s of wall time`,
    );
  });
});
