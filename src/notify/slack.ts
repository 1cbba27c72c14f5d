/**
 * A Slack incoming-webhook message from an event: Block Kit blocks (header, summary, facts as fields, one section per
 * reason list, the commands, the links, a context footer) and a plain `text` fallback for notifications and clients
 * that do not show blocks. Texts are escaped for mrkdwn (`&`, `<`, `>`, so nothing in a reason or a name can mention
 * a channel or forge a link) and kept within Slack's limits. Pure: no I/O.
 */
import type { IncomingWebhookSendArguments } from '@slack/webhook';
import type { NotifyEvent } from './event';
import { messageText, renderMessage, type RenderContext } from './render';

export type SlackBlock = NonNullable<IncomingWebhookSendArguments['blocks']>[number];
export interface SlackMessage extends IncomingWebhookSendArguments {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's limits for a message's blocks (Block Kit reference). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  /** Our own bound for the fallback text. */
  text: 3000,
} as const;

/** Escapes the three characters Slack's mrkdwn gives meaning to. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Clips escaped mrkdwn to `max` characters without leaving half an entity. */
function clipMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1).replace(/&[a-z]{0,4}$/, '')}…`;
}

/** A URL inside `<url|label>`: the characters that would end it are percent-encoded. */
const linkUrl = (url: string): string => url.replace(/[<>|\s]/g, (c) => encodeURIComponent(c));

const mrkdwn = (text: string, max: number) => ({ type: 'mrkdwn' as const, text: clipMrkdwn(text, max) });
const section = (text: string): SlackBlock => ({ type: 'section', text: mrkdwn(text, SLACK_LIMITS.sectionText) });

export function buildSlackMessage(event: NotifyEvent, ctx: RenderContext): SlackMessage {
  const m = renderMessage(event, ctx);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: m.title.slice(0, SLACK_LIMITS.headerText), emoji: true } },
    section(escapeMrkdwn(m.summary)),
  ];
  for (let i = 0; i < m.facts.length; i += SLACK_LIMITS.fields) {
    blocks.push({
      type: 'section',
      fields: m.facts
        .slice(i, i + SLACK_LIMITS.fields)
        .map((f) => mrkdwn(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, SLACK_LIMITS.fieldText)),
    });
  }
  for (const s of m.sections) {
    blocks.push(section([`*${escapeMrkdwn(s.heading)}*`, ...s.lines.map((l) => `• ${escapeMrkdwn(l)}`)].join('\n')));
  }
  if (m.commands.length) {
    const lines = m.commands.map(
      (c) => `${escapeMrkdwn(c.label)}: ${c.shell ? `\`${escapeMrkdwn(c.command)}\`` : escapeMrkdwn(c.command)}`,
    );
    blocks.push(section(['*Commands*', ...lines].join('\n')));
  }
  if (m.links.length) {
    blocks.push(section(m.links.map((l) => `<${linkUrl(l.url)}|${escapeMrkdwn(l.label)}>`).join('   ·   ')));
  }
  blocks.push({ type: 'context', elements: [mrkdwn(escapeMrkdwn(m.footer), SLACK_LIMITS.fieldText)] });
  return {
    text: clipMrkdwn(escapeMrkdwn(messageText(m)), SLACK_LIMITS.text),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
    unfurl_links: false,
    unfurl_media: false,
  };
}
