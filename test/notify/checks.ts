/** What Slack and Teams would refuse: structural checks of the messages our builders make (shared by the tests). */
import { SLACK_LIMITS, type SlackMessage } from '../../src/notify/slack';
import type { TeamsMessage } from '../../src/notify/teams';

// ------------------------------------------------------------------------------------------------------------
// Structural checks (what Slack and Teams would refuse)

const TEXT_KEYS = new Set(['type', 'text', 'emoji', 'verbatim']);

/** Every problem with a Slack incoming-webhook message: Block Kit shape and limits, and the text fallback. */
export function slackProblems(msg: SlackMessage): string[] {
  const problems: string[] = [];
  const textObject = (where: string, t: unknown, types: string[], max: number) => {
    const o = t as { type?: string; text?: unknown };
    if (!o || !types.includes(o.type ?? '')) problems.push(`${where}: text object type ${o?.type}`);
    if (typeof o?.text !== 'string' || o.text.length < 1 || o.text.length > max)
      problems.push(
        `${where}: text length ${typeof o?.text === 'string' ? o.text.length : typeof o?.text} (1..${max})`,
      );
    for (const k of Object.keys(o ?? {})) if (!TEXT_KEYS.has(k)) problems.push(`${where}: unknown key ${k}`);
  };
  if (typeof msg.text !== 'string' || msg.text.length < 1 || msg.text.length > SLACK_LIMITS.text)
    problems.push(`text fallback length ${msg.text?.length}`);
  if (!Array.isArray(msg.blocks) || msg.blocks.length < 1 || msg.blocks.length > SLACK_LIMITS.blocks)
    problems.push(`blocks: ${msg.blocks?.length} (1..${SLACK_LIMITS.blocks})`);
  msg.blocks.forEach((raw, i) => {
    const b = raw as unknown as Record<string, unknown>;
    const where = `blocks[${i}] (${String(b.type)})`;
    const allowed: Record<string, string[]> = {
      header: ['type', 'text', 'block_id'],
      section: ['type', 'text', 'fields', 'block_id'],
      context: ['type', 'elements', 'block_id'],
    };
    const keys = allowed[String(b.type)];
    if (!keys) return void problems.push(`${where}: unexpected block type`);
    for (const k of Object.keys(b)) if (!keys.includes(k)) problems.push(`${where}: unknown key ${k}`);
    if (b.type === 'header') textObject(where, b.text, ['plain_text'], SLACK_LIMITS.headerText);
    if (b.type === 'section') {
      if (b.text === undefined && b.fields === undefined) problems.push(`${where}: neither text nor fields`);
      if (b.text !== undefined) textObject(where, b.text, ['mrkdwn', 'plain_text'], SLACK_LIMITS.sectionText);
      if (b.fields !== undefined) {
        const fields = b.fields as unknown[];
        if (fields.length < 1 || fields.length > SLACK_LIMITS.fields)
          problems.push(`${where}: ${fields.length} fields`);
        fields.forEach((f, j) =>
          textObject(`${where}.fields[${j}]`, f, ['mrkdwn', 'plain_text'], SLACK_LIMITS.fieldText),
        );
      }
    }
    if (b.type === 'context') {
      const elements = b.elements as unknown[];
      if (elements.length < 1 || elements.length > SLACK_LIMITS.contextElements)
        problems.push(`${where}: ${elements.length} elements`);
      elements.forEach((e, j) => textObject(`${where}.elements[${j}]`, e, ['mrkdwn', 'plain_text'], 3000));
    }
  });
  return problems;
}

/** All the mrkdwn text of a Slack message (fallback, sections, fields, context). */
export function slackTexts(msg: SlackMessage): string[] {
  const out = [msg.text];
  for (const b of msg.blocks as unknown as Record<string, unknown>[]) {
    const objects = [b.text, ...((b.fields as unknown[]) ?? []), ...((b.elements as unknown[]) ?? [])];
    for (const o of objects)
      if (o && typeof (o as { text?: unknown }).text === 'string') out.push((o as { text: string }).text);
  }
  return out;
}

/** Every problem with a Teams Workflows message: the envelope and the Adaptive Card's elements. */
export function teamsProblems(msg: TeamsMessage): string[] {
  const problems: string[] = [];
  if (msg.type !== 'message') problems.push(`type ${msg.type}`);
  if (msg.attachments.length !== 1) problems.push(`${msg.attachments.length} attachments`);
  const a = msg.attachments[0]!;
  if (a.contentType !== 'application/vnd.microsoft.card.adaptive') problems.push(`contentType ${a.contentType}`);
  if (a.contentUrl !== null) problems.push('contentUrl is not null');
  const card = a.content;
  if (card.type !== 'AdaptiveCard' || card.version !== '1.4') problems.push(`card ${card.type} ${card.version}`);
  if (card.$schema !== 'http://adaptivecards.io/schemas/adaptive-card.json') problems.push(`$schema ${card.$schema}`);
  card.body.forEach((e, i) => {
    if (e.type === 'TextBlock') {
      if (typeof e.text !== 'string' || !e.text) problems.push(`body[${i}]: TextBlock without text`);
      if (e.wrap !== true) problems.push(`body[${i}]: TextBlock does not wrap`);
    } else if (e.type === 'FactSet') {
      for (const f of e.facts as { title: unknown; value: unknown }[])
        if (typeof f.title !== 'string' || typeof f.value !== 'string') problems.push(`body[${i}]: bad fact`);
    } else problems.push(`body[${i}]: unexpected element ${e.type}`);
  });
  card.actions.forEach((act, i) => {
    if (act.type !== 'Action.OpenUrl' || typeof act.title !== 'string' || !/^https?:\/\//.test(String(act.url)))
      problems.push(`actions[${i}]: ${JSON.stringify(act)}`);
  });
  return problems;
}
