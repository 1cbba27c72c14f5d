/**
 * The generic webhook's body: versioned JSON (schema in docs/notifications.md), the event's data with every list and
 * text bounded, the links, the commands and the same plain-text rendering the chat messages use. The body is signed
 * by the activity (Standard Webhooks); this module only builds it. Pure: no I/O.
 */
import type { NotifyEvent, NotifyEventType, NotifyGate } from './event';
import { BUDGET, messageText, renderMessage, workflowUrl, type Command, type RenderContext } from './render';
import { clip, httpUrl } from './text';

export const WEBHOOK_BODY_VERSION = 1;

/** Version 1 of the webhook body. New optional fields may be added within a version; anything else is a new version. */
export interface WebhookBodyV1 {
  version: typeof WEBHOOK_BODY_VERSION;
  /** The event's id (stable across retries; the `webhook-id` header is derived from it). */
  id: string;
  type: NotifyEventType;
  /** When the event happened (workflow time), ISO 8601. Not the delivery time (that is `webhook-timestamp`). */
  timestamp: string;
  title: string;
  summary: string;
  /** The whole message as plain text, as the chat channels show it. */
  text: string;
  workflow: { id: string; type: NotifyEvent['workflow']['type']; namespace: string; url?: string };
  applications: { name: string; version?: string }[];
  route: string[];
  stage?: string;
  requestedBy: string;
  gate?: NotifyGate & { conflictsTotal?: number };
  decision?: NotifyEvent['decision'];
  outcome?: string;
  failure?: string;
  deploymentKey?: string;
  durationSeconds?: number;
  links: { workflow?: string; lifetime?: string };
  commands: Command[];
}

const name = (s: string) => clip(s, BUDGET.name);
const txt = (s: string) => clip(s, BUDGET.text);
/** `{ [key]: value }`, or nothing when the value is undefined (the body has no `undefined` or `null` fields). */
const opt = <K extends string, T>(key: K, value: T | undefined): Partial<Record<K, T>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, T>);

function gate(g: NotifyGate): WebhookBodyV1['gate'] {
  const conflicts = g.conflicts?.slice(0, BUDGET.listMax).map(txt);
  const conflictsTotal = g.conflicts ? Math.max(g.conflictsTotal ?? 0, g.conflicts.length) : undefined;
  return {
    id: g.id,
    kind: g.kind,
    reason: clip(g.reason, BUDGET.reason),
    ...opt('info', g.info && name(g.info)),
    ...opt('infoText', g.infoText && txt(g.infoText)),
    ...opt('conflicts', conflicts),
    ...opt('conflictsTotal', conflictsTotal),
    ...opt(
      'missingMappings',
      g.missingMappings
        ?.slice(0, BUDGET.listMax)
        .map((m) => ({ extension: name(m.extension), logicalDatabase: name(m.logicalDatabase) })),
    ),
    openedAt: g.openedAt,
    deadline: g.deadline,
    onTimeout: txt(g.onTimeout),
    ...opt('onApprove', g.onApprove && txt(g.onApprove)),
    ...opt('onReject', g.onReject && txt(g.onReject)),
    approvers: g.approvers.slice(0, BUDGET.listMax).map(name),
  };
}

export function buildWebhookBody(e: NotifyEvent, ctx: RenderContext): WebhookBodyV1 {
  const m = renderMessage(e, ctx);
  const ui = ctx.uiUrl ? httpUrl(workflowUrl(ctx.uiUrl, ctx.namespace, e.workflow.id)) : undefined;
  const d = e.decision;
  return {
    version: WEBHOOK_BODY_VERSION,
    id: e.id,
    type: e.type,
    timestamp: e.at,
    title: m.title,
    summary: m.summary,
    text: messageText(m),
    workflow: { id: e.workflow.id, type: e.workflow.type, namespace: ctx.namespace, ...opt('url', ui) },
    applications: e.applications
      .slice(0, BUDGET.listMax)
      .map((a) => ({ name: name(a.name), ...opt('version', a.version && name(a.version)) })),
    route: e.route.slice(0, BUDGET.listMax).map(name),
    ...opt('stage', e.stage && name(e.stage)),
    requestedBy: name(e.requestedBy),
    ...opt('gate', e.gate && gate(e.gate)),
    ...opt(
      'decision',
      d && {
        decision: d.decision,
        by: name(d.by),
        ...opt('reason', d.reason && clip(d.reason, BUDGET.reason)),
        ...opt('automatic', d.automatic),
      },
    ),
    ...opt('outcome', e.outcome && name(e.outcome)),
    ...opt('failure', e.failure && clip(e.failure, BUDGET.reason)),
    ...opt('deploymentKey', e.deploymentKey && name(e.deploymentKey)),
    ...opt('durationSeconds', e.durationSeconds),
    links: { ...opt('workflow', ui), ...opt('lifetime', httpUrl(e.detailsUrl)) },
    commands: m.commands,
  };
}
