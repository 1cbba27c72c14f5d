/**
 * Gates that reach people, on the time-skipping server with real local HTTP receivers: a conflict deployment with the
 * generic webhook, Slack and Teams configured gets gate-opened, a reminder (after 4 h of workflow time), decided and
 * ended messages on every channel; a receiver that answers 500 delays nothing and is recorded as failed after retries
 * with one webhook-id; no channel URL or secret enters the history.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Webhook } from 'standardwebhooks';
import { NOTIFY_ENV, readNotifySettings } from '../../src/notify/config';
import type { ChannelName } from '../../src/notify/event';
import { approveSignal, stateQuery } from '../../src/workflows/messages';
import { startTimeSkippingServer } from '../harness';
import { reply, startServer, type Recorded, type TestServer } from '../lifetime/http-server';
import { slackProblems, teamsProblems } from '../notify/checks';
import { timeSkippingRequest, useRigs } from './helpers';

let env: TestWorkflowEnvironment;
const rigs = useRigs(startTimeSkippingServer, (started) => (env = started));

const SECRET = `whsec_${Buffer.from('gate-notifications-secret-0123456789').toString('base64')}`;
const PATHS: Record<ChannelName, string> = {
  webhook: '/hooks/T0PS3CR3T-webhook',
  slack: '/services/T0PS3CR3T/B0PS3CR3T/slacktoken',
  teams: '/workflows/x/triggers/manual/paths/invoke?sig=T0PS3CR3Tsig',
};
const UI_URL = 'http://temporal-ui.test:8233';

let receiver: TestServer;
beforeAll(async () => (receiver = await startServer()));
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.requests.length = 0;
  receiver.handler = (_req, res) => reply(res, 200, 'ok');
});

function settings() {
  const { settings: s, problems } = readNotifySettings({
    [NOTIFY_ENV.webhookUrl]: `${receiver.origin}${PATHS.webhook}`,
    [NOTIFY_ENV.webhookSecret]: SECRET,
    [NOTIFY_ENV.slackUrl]: `${receiver.origin}${PATHS.slack}`,
    [NOTIFY_ENV.teamsUrl]: `${receiver.origin}${PATHS.teams}`,
    [NOTIFY_ENV.uiUrl]: UI_URL,
  });
  expect(problems).toEqual([]);
  return s;
}

const channelOf = (r: Recorded): ChannelName | undefined =>
  (Object.keys(PATHS) as ChannelName[]).find((c) => r.path.endsWith(PATHS[c].split('?')[0]!));
const header = (r: Recorded, name: string) => String(r.headers[name] ?? '');

test('conflict gate: opened, reminder, decided and ended reach the webhook (signed), Slack and Teams', async () => {
  const r = await rigs.make({ progression: 'per-poll' }, undefined, settings());
  r.sim.applyPreset({ name: 'conflicts', application: 'EmployeeBackoffice' });
  const handle = await r.start(timeSkippingRequest({ policies: { approvers: ['alice'] } }));
  const link = `${UI_URL}/namespaces/default/workflows/${handle.workflowId}`;
  const result = await r.run(async () => {
    for (;;) {
      const s = await handle.query(stateQuery);
      if (s.gate) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    await env.sleep('241 minutes'); // the default reminder interval is 4 h
    await handle.signal(approveSignal, { by: 'alice', reason: 'conflicts checked' });
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded');

  const byChannel = (c: ChannelName) => receiver.requests.filter((q) => channelOf(q) === c);
  const typesOf = (c: ChannelName) =>
    byChannel(c).map((q) =>
      c === 'webhook'
        ? (JSON.parse(q.body) as { type: string }).type
        : /(opened|reminder|decided|ended|deadline)/i.exec(q.body)?.[1],
    );
  expect(receiver.requests).toHaveLength(12);
  expect(typesOf('webhook')).toEqual(['gate.opened', 'gate.reminder', 'gate.decided', 'workflow.ended']);
  for (const c of ['slack', 'teams'] as const) expect(byChannel(c)).toHaveLength(4);

  // The generic webhook: Standard Webhooks signature verifies with the library, and not with another secret.
  for (const q of byChannel('webhook')) {
    const headers = {
      'webhook-id': header(q, 'webhook-id'),
      'webhook-timestamp': header(q, 'webhook-timestamp'),
      'webhook-signature': header(q, 'webhook-signature'),
    };
    expect(() => new Webhook(SECRET).verify(q.body, headers)).not.toThrow();
    const other = `whsec_${Buffer.from('some-other-secret-of-32-bytes!!!!').toString('base64')}`;
    expect(() => new Webhook(other).verify(q.body, headers)).toThrow();
  }
  // Slack: valid Block Kit with a text fallback; Teams: an Adaptive Card message.
  for (const q of byChannel('slack')) expect(slackProblems(JSON.parse(q.body))).toEqual([]);
  for (const q of byChannel('teams')) expect(teamsProblems(JSON.parse(q.body))).toEqual([]);
  // Every message links the workflow; the gate messages give the approve command.
  for (const q of receiver.requests) expect(q.body).toContain(link);
  for (const c of ['webhook', 'slack', 'teams'] as const)
    for (const q of byChannel(c).slice(0, 2))
      expect(q.body).toContain(`npx lifetime-deploy approve ${handle.workflowId} --by`);

  expect(result.notifications?.map((n) => [n.type, n.channel, n.delivered, n.status])).toEqual(
    expect.arrayContaining([
      ['gate.opened', 'webhook', true, 200],
      ['gate.reminder', 'slack', true, 200],
      ['gate.decided', 'teams', true, 200],
      ['workflow.ended', 'webhook', true, 200],
    ]),
  );
  expect(result.notifications).toHaveLength(12);
  const history = JSON.stringify(await handle.fetchHistory());
  for (const secret of [SECRET, 'T0PS3CR3T', receiver.origin, r.sim.token]) expect(history).not.toContain(secret);
});

test('a receiver that answers 500 for 10 minutes of workflow time: the deployment is not delayed; the notification is retried with one webhook-id, then recorded as failed', async () => {
  const r = await rigs.make({ progression: 'per-poll' }, undefined, settings());
  receiver.handler = (_req, res) => reply(res, 500, 'down');
  r.sim.applyPreset({ name: 'conflicts', application: 'EmployeeBackoffice' });
  const handle = await r.start(timeSkippingRequest());
  const result = await r.run(async () => {
    for (;;) {
      const s = await handle.query(stateQuery);
      if (s.gate) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    await env.sleep('10 minutes');
    await handle.signal(approveSignal, { by: 'alice' });
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded');
  // Workflow time: the 10 minutes at the gate, the deployment, and at most the ended message's 1 minute of retries.
  expect(result.durations.totalSeconds).toBeLessThan(13 * 60);
  const opened = receiver.requests.filter(
    (q) => channelOf(q) === 'webhook' && (JSON.parse(q.body) as { type: string }).type === 'gate.opened',
  );
  expect(opened.length).toBe(6); // NOTIFY_RETRY_POLICY: six attempts
  expect(new Set(opened.map((q) => header(q, 'webhook-id'))).size).toBe(1);
  const records = result.notifications!.filter((n) => n.type === 'gate.opened');
  expect(records.map((n) => [n.channel, n.delivered, n.status])).toEqual(
    expect.arrayContaining([
      ['webhook', false, 500],
      ['slack', false, 500],
      ['teams', false, 500],
    ]),
  );
  expect(JSON.stringify(result.notifications)).not.toContain(receiver.origin);
});
