/**
 * A Microsoft Teams message from an event, for a Teams Workflows webhook (Power Automate's "When a Teams webhook
 * request is received" trigger, e.g. the "Send webhook alerts to a channel" template; the legacy Office 365
 * connectors are retired): a `message` whose one attachment is an Adaptive Card (1.4) with the title, the summary, the
 * facts as a FactSet, the reason lists, the commands in monospace and the links as Action.OpenUrl buttons. Pure: no I/O.
 */
import type { NotifyEvent } from './event';
import { renderMessage, type RenderContext } from './render';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
export const ADAPTIVE_CARD_VERSION = '1.4';

export type CardElement = Record<string, unknown> & { type: string };

export interface AdaptiveCard {
  $schema: typeof ADAPTIVE_CARD_SCHEMA;
  type: 'AdaptiveCard';
  version: typeof ADAPTIVE_CARD_VERSION;
  body: CardElement[];
  actions: CardElement[];
  msteams: { width: 'Full' };
}

export interface TeamsMessage {
  type: 'message';
  attachments: { contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }[];
}

const text = (value: string, extra: Record<string, unknown> = {}): CardElement => ({
  type: 'TextBlock',
  text: value,
  wrap: true,
  ...extra,
});

export function buildTeamsMessage(event: NotifyEvent, ctx: RenderContext): TeamsMessage {
  const m = renderMessage(event, ctx);
  const body: CardElement[] = [
    text(m.title, { size: 'Large', weight: 'Bolder' }),
    text(m.summary),
    { type: 'FactSet', facts: m.facts.map((f) => ({ title: f.label, value: f.value })) },
  ];
  for (const s of m.sections) {
    body.push(text(s.heading, { weight: 'Bolder', spacing: 'Medium' }));
    // Markdown lists in a TextBlock take `\r` between items (Adaptive Cards text features).
    body.push(text(s.lines.map((l) => `- ${l}`).join('\r'), { spacing: 'Small' }));
  }
  if (m.commands.length) {
    body.push(text('Commands', { weight: 'Bolder', spacing: 'Medium' }));
    for (const c of m.commands) {
      body.push(text(c.label, { isSubtle: true, spacing: 'Small' }));
      body.push(text(c.command, { ...(c.shell ? { fontType: 'Monospace' } : {}), spacing: 'None' }));
    }
  }
  body.push(text(m.footer, { isSubtle: true, size: 'Small', spacing: 'Medium' }));
  return {
    type: 'message',
    attachments: [
      {
        contentType: ADAPTIVE_CARD_CONTENT_TYPE,
        contentUrl: null,
        content: {
          $schema: ADAPTIVE_CARD_SCHEMA,
          type: 'AdaptiveCard',
          version: ADAPTIVE_CARD_VERSION,
          body,
          actions: m.links.map((l) => ({ type: 'Action.OpenUrl', title: l.label, url: l.url })),
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}
