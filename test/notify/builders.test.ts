/**
 * The message builders (pure): every channel's message for a gate.opened event carries the workflow's Temporal UI
 * link and the exact approve command; Slack's message is valid Block Kit within Slack's limits; Teams' is an Adaptive
 * Card message; the webhook body matches the JSON Schema published in docs/notifications.md; every text and list
 * stays bounded however large the event; user text cannot inject Slack mentions or links.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { notifyEventId, type NotifyEvent } from '../../src/notify/event';
import {
  BUDGET,
  messageText,
  renderMessage,
  UI_URL_HINT,
  workflowUrl,
  type RenderContext,
} from '../../src/notify/render';
import { buildSlackMessage } from '../../src/notify/slack';
import { buildTeamsMessage } from '../../src/notify/teams';
import { slackProblems, slackTexts, teamsProblems } from './checks';
import { buildWebhookBody } from '../../src/notify/webhook';
import { answerCommands } from '../../src/workflows/presentation';
import {
  allEvents,
  APPROVE_COMMAND,
  DETAILS_URL,
  gateDecided,
  gateOpened,
  hugeEvent,
  interventionReminder,
  NAMESPACE,
  promotionOpened,
  UI_URL,
  WORKFLOW_ID,
  WORKFLOW_LINK,
  workflowEnded,
} from './events';

const ctx: RenderContext = { uiUrl: UI_URL, namespace: NAMESPACE };

/** The JSON Schema published in docs/notifications.md (the first json block after "### Body, version 1"). */
function publishedSchema(): object {
  const doc = readFileSync(path.resolve(__dirname, '../../docs/notifications.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### Body, version 1'));
  const block = /```json\n([\s\S]*?)\n```/.exec(section);
  expect(block).not.toBeNull();
  return JSON.parse(block![1]!) as object;
}

// ------------------------------------------------------------------------------------------------------------

describe('every channel says the same things', () => {
  const builders: [string, (e: NotifyEvent, c: RenderContext) => unknown][] = [
    ['webhook', buildWebhookBody],
    ['slack', buildSlackMessage],
    ['teams', buildTeamsMessage],
  ];

  test.each(builders)('%s: a gate.opened message has the workflow link and the exact approve command', (_n, build) => {
    const json = JSON.stringify(build(gateOpened, ctx));
    // Slack escapes < and > in mrkdwn: compare with the command as it is written there.
    const approve = _n === 'slack' ? APPROVE_COMMAND.replace(/</g, '&lt;').replace(/>/g, '&gt;') : APPROVE_COMMAND;
    expect(json).toContain(JSON.stringify(WORKFLOW_LINK).slice(1, -1));
    expect(json).toContain(JSON.stringify(approve).slice(1, -1));
    expect(json).toContain(JSON.stringify(DETAILS_URL).slice(1, -1));
    for (const part of ['alice', 'bob', 'EmployeeBackoffice', 'Development → Production', '2025-03-02 10:00 UTC'])
      expect(json).toContain(part);
    expect(json).toContain('MissingDependency: EmployeeBackoffice needs HRCommon 2.1');
    expect(json).toContain('reject automatically');
  });

  test('the commands are answerCommands and the status command, as the CLI prints them', () => {
    const m = renderMessage(gateOpened, ctx);
    expect(m.commands.map((c) => c.command)).toEqual([
      ...answerCommands(WORKFLOW_ID).map((c) => c.command),
      `npx lifetime-deploy status ${WORKFLOW_ID}`,
    ]);
    expect(m.commands.filter((c) => !c.shell).map((c) => c.label)).toEqual(['Temporal UI']);
  });

  test('the workflow link encodes the namespace and workflow ID', () => {
    expect(workflowUrl('http://ui:8080/', 'my ns', 'a/b c')).toBe(
      'http://ui:8080/namespaces/my%20ns/workflows/a%2Fb%20c',
    );
  });

  test('an intervention reminder explains the Info in plain words and lists the missing mappings', () => {
    const text = messageText(renderMessage(interventionReminder, ctx));
    expect(text).toContain('LifeTime needs configuration (e.g. extension database mappings) or confirmation.');
    expect(text).toContain('extension HRDatabase: logical database HRData is not mapped');
    expect(text).toContain('Gate opened: 2025-03-01 10:00 UTC (open for 4 h)');
    expect(text).toContain('Deadline: 2025-03-02 10:00 UTC (in 20 h)');
    expect(text).toContain('Waiting for: anyone allowed to decide (no approver list)');
  });

  test("a release's own commands replace the deployment's; after the gate only the status command is left", () => {
    const open = renderMessage(promotionOpened, ctx);
    expect(open.title).toBe('Decision needed: promotion to Production waits for approval');
    expect(open.commands.map((c) => c.command)).toEqual([
      promotionOpened.commands!.approve,
      promotionOpened.commands!.reject,
      promotionOpened.commands!.status,
    ]);
    expect(renderMessage(gateDecided, ctx).commands.map((c) => c.label)).toEqual(['status']);
  });

  test('titles say what happened, for each event type', () => {
    expect(allEvents.map((e) => renderMessage(e, ctx).title)).toEqual([
      'Decision needed: the plan has conflicts',
      'Reminder: decision still needed: LifeTime needs user intervention',
      'Decision needed: promotion to Production waits for approval',
      'Decided: conflict gate approved by alice',
      'Gate deadline passed: conflict gate rejected automatically',
      'Deployment ended: failed',
    ]);
    const ended = messageText(renderMessage(workflowEnded, ctx));
    expect(ended).toContain('Duration: 1 h 20 min');
    expect(ended).toContain('Failure: FinishedWithErrors');
  });

  test('without LIFETIME_DEPLOY_UI_URL: no UI link anywhere, and the footer says how to get one', () => {
    const noUi = { namespace: NAMESPACE };
    for (const build of builders.map(([, b]) => b)) {
      const json = JSON.stringify(build(gateOpened, noUi));
      expect(json).not.toContain('/namespaces/');
      expect(json).toContain(UI_URL_HINT);
    }
    expect(buildWebhookBody(gateOpened, noUi).links).toEqual({ lifetime: DETAILS_URL });
  });

  test('a DetailsURL that is not http(s) is not made a link', () => {
    const m = renderMessage({ ...gateOpened, detailsUrl: 'javascript:alert(1)' }, ctx);
    expect(m.links.map((l) => l.label)).toEqual(['Open in the Temporal UI']);
  });
});

describe('Slack', () => {
  test.each(allEvents.map((e) => [e.type, e] as const))('%s: valid Block Kit within the limits', (_t, e) => {
    const msg = buildSlackMessage(e, ctx);
    expect(slackProblems(msg)).toEqual([]);
    expect(msg.blocks[0]).toMatchObject({ type: 'header' });
    expect(msg.text.startsWith(renderMessage(e, ctx).title)).toBe(true);
  });

  test('a huge event still fits, and no user text can mention people or forge a link', () => {
    const msg = buildSlackMessage(hugeEvent, ctx);
    expect(slackProblems(msg)).toEqual([]);
    const all = slackTexts(msg).join('\n');
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<@U123>');
    expect(all).not.toContain('<https://evil');
    expect(all).toContain('&lt;!channel&gt;');
    // the only `<…|…>` links are ours
    const links = [...all.matchAll(/<([^>|]+)\|([^>]+)>/g)].map((m) => m[1]);
    expect(links).toEqual([WORKFLOW_LINK, DETAILS_URL]);
    expect(all).toContain('… and 890 more'); // 900 conflicts, 10 shown
  });
});

describe('Teams', () => {
  test.each(allEvents.map((e) => [e.type, e] as const))('%s: an Adaptive Card message', (_t, e) => {
    expect(teamsProblems(buildTeamsMessage(e, ctx))).toEqual([]);
  });

  test('the links are Action.OpenUrl buttons; the approve command is in a monospace TextBlock', () => {
    const card = buildTeamsMessage(gateOpened, ctx).attachments[0]!.content;
    expect(card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open in the Temporal UI', url: WORKFLOW_LINK },
      { type: 'Action.OpenUrl', title: 'Open the plan in LifeTime', url: DETAILS_URL },
    ]);
    expect(card.body).toContainEqual(expect.objectContaining({ text: APPROVE_COMMAND, fontType: 'Monospace' }));
  });

  test('a huge event stays far below the 28 KB card limit', () => {
    const msg = buildTeamsMessage(hugeEvent, ctx);
    expect(teamsProblems(msg)).toEqual([]);
    expect(Buffer.byteLength(JSON.stringify(msg))).toBeLessThan(20_000);
  });
});

describe('webhook body', () => {
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile(publishedSchema());

  test.each([...allEvents, hugeEvent].map((e) => [e.id, e] as const))(
    '%s: matches the published JSON Schema (version 1)',
    (_id, e) => {
      const body = JSON.parse(JSON.stringify(buildWebhookBody(e, ctx))) as unknown;
      expect(validate(body) ? [] : validate.errors).toEqual([]);
    },
  );

  test('the schema catches a field that is not documented (it is strict)', () => {
    expect(validate({ ...buildWebhookBody(gateOpened, ctx), extra: 1 })).toBe(false);
  });

  test('carries the event data, bounded', () => {
    const body = buildWebhookBody(hugeEvent, ctx);
    expect(body).toMatchObject({ version: 1, id: hugeEvent.id, type: 'gate.opened', timestamp: hugeEvent.at });
    expect(body.gate!.conflicts).toHaveLength(BUDGET.listMax);
    expect(body.gate!.conflictsTotal).toBe(900);
    expect(body.applications).toHaveLength(BUDGET.listMax);
    expect(body.gate!.reason.length).toBeLessThanOrEqual(BUDGET.reason);
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(128_000);
    expect(buildWebhookBody(workflowEnded, ctx)).toMatchObject({ outcome: 'failed', durationSeconds: 4830 });
  });
});

test('event ids: per execution chain, gate and reminder; the same inputs give the same id', () => {
  const run = { workflowId: WORKFLOW_ID, firstRunId: 'run-1' };
  expect(notifyEventId(run, 'gate.opened', { gate: 2 })).toBe(`${WORKFLOW_ID}/run-1/gate-2/gate.opened`);
  expect(notifyEventId(run, 'gate.reminder', { gate: 2, reminder: 3 })).toBe(`${WORKFLOW_ID}/run-1/gate-2/reminder-3`);
  expect(notifyEventId(run, 'workflow.ended')).toBe(`${WORKFLOW_ID}/run-1/workflow.ended`);
  expect(notifyEventId({ ...run, firstRunId: 'run-2' }, 'workflow.ended')).not.toBe(
    notifyEventId(run, 'workflow.ended'),
  );
});
