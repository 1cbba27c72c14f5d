/**
 * Delivery through a real Temporal server (the dev server): a workflow bundle that imports the event types and the
 * published policy (so they are fit for workflow code), the settings from a local activity, `notify` retried by
 * Temporal with the same webhook-id on every attempt, a receiver that stays down given up on after six attempts and
 * recorded with its status, a refusal not retried, and no URL or secret anywhere in the workflow's history.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Webhook } from 'standardwebhooks';
import { createNotifyActivities, webhookMessageId } from '../../src/activities/notify';
import { NOTIFY_ENV, readNotifySettings } from '../../src/notify/config';
import { NOTIFY_RETRY_POLICY } from '../../src/notify/policy';
import { createTestWorker, startDevServer, useTestEnvironment } from '../harness';
import { reply, startServer, type TestServer } from '../lifetime/http-server';
import { gateOpened } from './events';

const workflowsPath = require.resolve('./fixtures/notify-workflows');
const SECRET = `whsec_${Buffer.from('S3CR3T-workflow-test-secret-bytes!!').toString('base64')}`;
const PATHS = {
  webhook: '/hook/S3CR3T-hook',
  slack: '/services/T0/B0/S3CR3Tslack',
  teams: '/workflows/x/triggers/manual/paths/invoke',
};

let env: TestWorkflowEnvironment;
useTestEnvironment(startDevServer, (started) => (env = started));

let server: TestServer;
beforeAll(async () => (server = await startServer()));
afterAll(() => server.close());
beforeEach(() => (server.requests.length = 0));

const requestsTo = (p: string) => server.requests.filter((r) => r.path === p);

async function run(quickRetries: boolean) {
  const { settings, problems } = readNotifySettings({
    [NOTIFY_ENV.webhookUrl]: `${server.origin}${PATHS.webhook}`,
    [NOTIFY_ENV.webhookSecret]: SECRET,
    [NOTIFY_ENV.slackUrl]: `${server.origin}${PATHS.slack}`,
    [NOTIFY_ENV.teamsUrl]: `${server.origin}${PATHS.teams}?sig=S3CR3Tsig`,
    [NOTIFY_ENV.uiUrl]: 'http://localhost:8233',
  });
  expect(problems).toEqual([]);
  const { worker, taskQueue } = await createTestWorker(env, {
    workflowsPath,
    activities: createNotifyActivities(settings),
  });
  const workflowId = `notify-${taskQueue}`;
  const result = await worker.runUntil(
    env.client.workflow.execute('notifyChannels', { taskQueue, workflowId, args: [gateOpened, quickRetries] }),
  );
  // Nothing secret in the history: search its encoded bytes (payloads, failure messages, everything).
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const { temporal } = await import('@temporalio/proto');
  const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
  expect(bytes.includes('S3CR3T')).toBe(false);
  expect(bytes.includes(server.origin)).toBe(false);
  return result as { channels: string[]; records: Record<string, unknown>[] };
}

test('a receiver that fails once is retried by Temporal after 5 s with the same webhook-id; all three delivered', async () => {
  let hookCalls = 0;
  server.handler = (req, res) => {
    if (req.path === PATHS.webhook) return reply(res, ++hookCalls === 1 ? 500 : 200, 'ok');
    return reply(res, req.path === PATHS.teams ? 202 : 200, 'ok');
  };
  const { channels, records } = await run(false);
  expect(channels).toEqual(['webhook', 'slack', 'teams']);
  expect(records).toEqual([
    expect.objectContaining({ channel: 'webhook', delivered: true, status: 200, attempts: 2 }),
    expect.objectContaining({ channel: 'slack', delivered: true, status: 200, attempts: 1 }),
    expect.objectContaining({ channel: 'teams', delivered: true, status: 202, attempts: 1 }),
  ]);
  const hooks = requestsTo(PATHS.webhook);
  expect(hooks).toHaveLength(2);
  expect(hooks.map((r) => r.headers['webhook-id'])).toEqual([
    webhookMessageId(gateOpened.id),
    webhookMessageId(gateOpened.id),
  ]);
  expect(hooks[1]!.at - hooks[0]!.at).toBeGreaterThanOrEqual(4500); // NOTIFY_RETRY_POLICY.initialInterval
  for (const r of hooks)
    expect(() => new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>)).not.toThrow();
});

test('a receiver that stays down is given up on after six attempts; a refusal is not retried; both recorded', async () => {
  server.handler = (req, res) => {
    if (req.path === PATHS.webhook) return reply(res, 503, 'maintenance');
    if (req.path === PATHS.slack) return reply(res, 404, 'no_service');
    return reply(res, 202);
  };
  const { records } = await run(true);
  expect(records).toEqual([
    expect.objectContaining({
      channel: 'webhook',
      delivered: false,
      status: 503,
      attempts: 6,
      error: 'webhook: receiver answered 503 Service Unavailable ("maintenance")',
    }),
    expect.objectContaining({
      channel: 'slack',
      delivered: false,
      status: 404,
      attempts: 1,
      error: 'slack: receiver refused the message: answered 404 Not Found ("no_service")',
    }),
    expect.objectContaining({ channel: 'teams', delivered: true, status: 202 }),
  ]);
  expect(requestsTo(PATHS.webhook)).toHaveLength(NOTIFY_RETRY_POLICY.maximumAttempts!);
  expect(requestsTo(PATHS.slack)).toHaveLength(1);
});
