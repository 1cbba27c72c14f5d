/**
 * Delivery against real local receivers (node:http on 127.0.0.1), through the `notify` activity in a real activity
 * context: what arrives (signed webhook, Slack Block Kit, Teams card), the same webhook-id on every attempt, and how
 * each kind of failure is typed (retryable or not) without ever showing the receiver's URL or the secret.
 */
import { inspect } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { createNotifyActivities, webhookMessageId } from '../../src/activities/notify';
import { NOTIFY_ENV, readNotifySettings } from '../../src/notify/config';
import type { ChannelName, NotificationRecord, NotifyEvent } from '../../src/notify/event';
import { failedRecord } from '../../src/notify/policy';
import { buildSlackMessage } from '../../src/notify/slack';
import { buildTeamsMessage } from '../../src/notify/teams';
import { buildWebhookBody } from '../../src/notify/webhook';
import { closedPort, reply, startServer, startSilentServer, type TestServer } from '../lifetime/http-server';
import { gateOpened, NAMESPACE, UI_URL, WORKFLOW_LINK } from './events';

const SECRET = `whsec_${Buffer.from('S3CR3T-0123456789abcdef-S3CR3T-0123').toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.from('another-secret-of-enough-bytes-here').toString('base64')}`;
/** The receivers' paths and queries: each is a credential, as in real Slack and Teams URLs. */
const PATHS: Record<ChannelName, string> = {
  webhook: '/hooks/S3CR3T-webhook-path',
  slack: '/services/T0S3CR3T/B0S3CR3T/S3CR3Tslacktoken',
  teams: '/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=S3CR3Tsig0123',
};
const CHANNELS: ChannelName[] = ['webhook', 'slack', 'teams'];

let server: TestServer;
beforeAll(async () => (server = await startServer()));
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handler = (_req, res) => reply(res, 200, 'ok');
  logs.length = 0;
});

/** What the activities log (the activity's own lines and the SDK's "Activity failed"), kept for the assertions. */
const logs: LogEntry[] = [];
const logger = new DefaultLogger('DEBUG', (entry) => logs.push(entry));
const activityEnv = (info: { attempt?: number } = {}) =>
  new MockActivityEnvironment({ attempt: info.attempt ?? 1, namespace: NAMESPACE }, { logger });
afterEach(() => expectNoSecrets(inspect(logs, { depth: null })));

/** Settings as the worker reads them from its environment, pointing at `origin`. */
function settingsFor(origin = server.origin) {
  const { settings, problems } = readNotifySettings({
    [NOTIFY_ENV.webhookUrl]: `${origin}${PATHS.webhook}`,
    [NOTIFY_ENV.webhookSecret]: SECRET,
    [NOTIFY_ENV.slackUrl]: `${origin}${PATHS.slack}`,
    [NOTIFY_ENV.teamsUrl]: `${origin}${PATHS.teams}`,
    [NOTIFY_ENV.uiUrl]: UI_URL,
  });
  expect(problems).toEqual([]);
  return settings;
}

/** Runs `notify` as attempt `attempt` in a real activity context. */
function notify(
  channel: ChannelName,
  opts: { attempt?: number; event?: NotifyEvent; origin?: string; timeoutMs?: number } = {},
): Promise<NotificationRecord> {
  const acts = createNotifyActivities(settingsFor(opts.origin), { requestTimeoutMs: opts.timeoutMs });
  return activityEnv(opts).run(acts.notify, { channel, event: opts.event ?? gateOpened });
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

/** Every rendering of an error someone might log or Temporal might store. */
function renderings(err: ApplicationFailure): string {
  return [
    err.message,
    String(err),
    JSON.stringify(err),
    inspect(err, { depth: null, showHidden: true }),
    err.stack,
  ].join('\n');
}

function expectNoSecrets(text: string): void {
  expect(text).not.toContain('S3CR3T');
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(server.origin);
}

const ctx = { uiUrl: UI_URL, namespace: NAMESPACE };

describe('generic webhook (Standard Webhooks)', () => {
  test('the body verifies with the secret (and not with another); headers and body are as documented', async () => {
    server.handler = (_req, res) => reply(res, 204);
    const record = await notify('webhook');
    expect(record).toMatchObject({
      event: gateOpened.id,
      type: 'gate.opened',
      channel: 'webhook',
      delivered: true,
      status: 204,
      attempts: 1,
    });
    expect(logs.map((l) => [l.level, l.message, l.meta?.status])).toContainEqual([
      'INFO',
      'notification delivered',
      204,
    ]);
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks/S3CR3T-webhook-path');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toMatch(/^lifetime-deploy\//);
    expect(req.headers['webhook-id']).toBe(webhookMessageId(gateOpened.id));
    expect(req.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]{43}$/); // no `.` (the spec forbids it)
    expect(Math.abs(Number(req.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
    expect(req.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);

    const verified = new Webhook(SECRET).verify(req.body, req.headers as Record<string, string>);
    expect(verified).toEqual(JSON.parse(JSON.stringify(buildWebhookBody(gateOpened, ctx))));
    expect(verified).toMatchObject({ version: 1, id: gateOpened.id, links: { workflow: WORKFLOW_LINK } });
    expect(() => new Webhook(OTHER_SECRET).verify(req.body, req.headers as Record<string, string>)).toThrow(
      'No matching signature found',
    );
    expect(() =>
      new Webhook(SECRET).verify(req.body.replace('alice', 'mallory'), req.headers as Record<string, string>),
    ).toThrow('No matching signature found');
  });

  test('a retried event keeps its webhook-id; each attempt is signed with its own timestamp and verifies', async () => {
    server.handler = (_req, res) => (server.requests.length === 1 ? reply(res, 503, 'busy') : reply(res, 200, 'ok'));
    const first = await failureOf(notify('webhook', { attempt: 1 }));
    expect(first).toMatchObject({ type: 'NotificationFailed', nonRetryable: false });
    await new Promise((r) => setTimeout(r, 1100)); // the next second: a new timestamp
    const record = await notify('webhook', { attempt: 2 });
    expect(record).toMatchObject({ delivered: true, status: 200, attempts: 2 });

    const [a, b] = server.requests;
    expect(a!.headers['webhook-id']).toBe(b!.headers['webhook-id']);
    expect(a!.body).toBe(b!.body);
    expect(Number(b!.headers['webhook-timestamp'])).toBeGreaterThan(Number(a!.headers['webhook-timestamp']));
    expect(a!.headers['webhook-signature']).not.toBe(b!.headers['webhook-signature']);
    for (const r of [a!, b!])
      expect(() => new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>)).not.toThrow();
  });

  test('another event gets another webhook-id', () => {
    expect(webhookMessageId(`${gateOpened.id}x`)).not.toBe(webhookMessageId(gateOpened.id));
  });
});

describe('Slack and Teams', () => {
  test('Slack receives the Block Kit message with its text fallback, through @slack/webhook', async () => {
    const record = await notify('slack');
    expect(record).toMatchObject({ channel: 'slack', delivered: true, status: 200 });
    const req = server.requests[0]!;
    expect(req.path).toBe('/services/T0S3CR3T/B0S3CR3T/S3CR3Tslacktoken');
    expect(req.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req.body) as { text: string; blocks: unknown[] };
    expect(body).toEqual(JSON.parse(JSON.stringify(buildSlackMessage(gateOpened, ctx))));
    expect(body.text).toContain('Decision needed: the plan has conflicts');
    expect(req.body).toContain(WORKFLOW_LINK);
  });

  test('Teams receives the Adaptive Card message; its 202 Accepted counts as delivered', async () => {
    server.handler = (_req, res) => reply(res, 202);
    const record = await notify('teams');
    expect(record).toMatchObject({ channel: 'teams', delivered: true, status: 202 });
    const req = server.requests[0]!;
    expect(req.path).toBe('/workflows/abc/triggers/manual/paths/invoke');
    expect(req.query).toEqual({ 'api-version': '1', sig: 'S3CR3Tsig0123' });
    const body = JSON.parse(req.body) as ReturnType<typeof buildTeamsMessage>;
    expect(body).toEqual(JSON.parse(JSON.stringify(buildTeamsMessage(gateOpened, ctx))));
    expect(body.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
  });
});

describe.each(CHANNELS)('%s: failures are typed, and never show the URL or the secret', (channel) => {
  test('500 → retryable NotificationFailed naming status 500', async () => {
    server.handler = (_req, res) => reply(res, 500, 'internal trouble');
    const err = await failureOf(notify(channel));
    expect(err).toMatchObject({ type: 'NotificationFailed', nonRetryable: false });
    expect(err.message).toBe(`${channel}: receiver answered 500 Internal Server Error ("internal trouble")`);
    expect(err.details).toEqual([{ channel, status: 500, attempt: 1 }]);
    expect(err.cause).toBeUndefined();
    expectNoSecrets(renderings(err));
    expect(logs.map((l) => [l.level, l.message])).toContainEqual(['WARN', 'notification not delivered']);
  });

  test('400 → NotificationRejected, not retryable, the status in its details', async () => {
    server.handler = (_req, res) => reply(res, 400, 'invalid_blocks');
    const err = await failureOf(notify(channel, { attempt: 3 }));
    expect(err).toMatchObject({ type: 'NotificationRejected', nonRetryable: true });
    expect(err.message).toBe(`${channel}: receiver refused the message: answered 400 Bad Request ("invalid_blocks")`);
    expect(err.details).toEqual([{ channel, status: 400, attempt: 3 }]);
    expectNoSecrets(renderings(err));
  });

  test("a 404 whose answer echoes the URL's path: the path is hidden", async () => {
    server.handler = (req, res) =>
      reply(res, 404, `Cannot POST ${req.path}?${new URLSearchParams(req.query).toString()}`);
    const err = await failureOf(notify(channel));
    expect(err.message).toContain('answered 404 Not Found ("Cannot POST [hidden]');
    expectNoSecrets(renderings(err));
  });

  test('429 with Retry-After → retryable, the next attempt after the time asked for', async () => {
    server.handler = (_req, res) => reply(res, 429, 'slow down', { 'retry-after': '7' });
    const err = await failureOf(notify(channel));
    expect(err).toMatchObject({ type: 'NotificationFailed', nonRetryable: false, nextRetryDelay: 7000 });
    expect(err.message).toContain('answered 429 Too Many Requests');
  });

  test('a redirect is not followed: NotificationRejected, with the hint', async () => {
    server.handler = (_req, res) => reply(res, 302, undefined, { location: 'https://elsewhere.example.com/' });
    const err = await failureOf(notify(channel));
    expect(err).toMatchObject({ type: 'NotificationRejected', nonRetryable: true });
    expect(err.message).toContain('answered 302 Found; redirects are not followed');
    expect(server.requests).toHaveLength(1);
  });

  test('nothing listens → retryable, "unreachable (ECONNREFUSED)"', async () => {
    const origin = `http://127.0.0.1:${await closedPort()}`;
    const err = await failureOf(notify(channel, { origin }));
    expect(err).toMatchObject({ type: 'NotificationFailed', nonRetryable: false });
    expect(err.message).toBe(`${channel}: receiver unreachable (ECONNREFUSED)`);
    expect(err.details).toEqual([{ channel, attempt: 1 }]);
    expectNoSecrets(renderings(err));
    expect(renderings(err)).not.toContain(origin);
  });

  test('no answer within the request timeout → retryable', async () => {
    const silent = await startSilentServer();
    try {
      const err = await failureOf(notify(channel, { origin: silent.origin, timeoutMs: 500 }));
      expect(err).toMatchObject({ type: 'NotificationFailed', nonRetryable: false });
      expect(err.message).toBe(`${channel}: no answer from the receiver within 0.5 s`);
      expectNoSecrets(renderings(err));
    } finally {
      await silent.close();
    }
  });

  test('the record of a delivery that gave up: status and error, no URL', async () => {
    server.handler = (_req, res) => reply(res, 503, 'down for maintenance');
    const err = await failureOf(notify(channel, { attempt: 6 }));
    // What the workflow catches: an ActivityFailure whose cause is the activity's ApplicationFailure.
    const caught = { message: 'Activity task failed', cause: err };
    const record = failedRecord({ channel, event: gateOpened }, caught, '2025-03-01T10:05:00.000Z');
    expect(record).toEqual({
      event: gateOpened.id,
      type: 'gate.opened',
      channel,
      delivered: false,
      status: 503,
      error: `${channel}: receiver answered 503 Service Unavailable ("down for maintenance")`,
      attempts: 6,
      at: '2025-03-01T10:05:00.000Z',
    });
  });
});

describe('settings', () => {
  test('a channel that is not configured: NotificationNotConfigured, not retried', async () => {
    const { settings } = readNotifySettings({ [NOTIFY_ENV.slackUrl]: `${server.origin}${PATHS.slack}` });
    const acts = createNotifyActivities(settings);
    const err = await failureOf(activityEnv().run(acts.notify, { channel: 'teams' as const, event: gateOpened }));
    expect(err).toMatchObject({ type: 'NotificationNotConfigured', nonRetryable: true });
    expect(err.message).toBe('teams: not configured on this worker (configured: slack)');
    expect(server.requests).toHaveLength(0);
  });

  test('notificationSettings: the channel names and the reminder interval, nothing secret', async () => {
    const acts = createNotifyActivities(settingsFor());
    const view = await activityEnv().run(acts.notificationSettings);
    expect(view).toEqual({ channels: ['webhook', 'slack', 'teams'], reminderMinutes: 240 });
    expectNoSecrets(JSON.stringify(view));
  });
});
