/**
 * The wording of every notification, written once: one event becomes a channel-neutral message (title, summary,
 * facts, sections, commands, links, footer) that the Slack, Teams and webhook builders lay out in their own format.
 * Every message says what is waiting (or what happened), for whom, the applications and the route, the reason, the
 * deadline and what happens then, the exact commands to answer, and the links. Every text is bounded: long lists show
 * their first items and say how many more there are. Pure: no I/O.
 */
import type { InterventionInfo } from '../lifetime/schemas';
import { answerCommands, INFO_TEXT } from '../workflows/presentation';
import type { NotifyEvent, NotifyGateKind } from './event';
import { durationBetween, formatDuration, formatInstant, httpUrl, line, listInline, listLines, relative } from './text';

/** Size budget of a message's parts (characters, or items shown of a list). */
export const BUDGET = {
  title: 150,
  summary: 300,
  fact: 500,
  reason: 1000,
  item: 250,
  /** Items shown of a list (conflicts, mappings, applications, approvers). */
  shown: 10,
  command: 600,
  /** Items kept of a list in the webhook body (the workflow's own limits: 50 applications, approvers, conflicts). */
  listMax: 50,
  /** A name (application, person, environment) in the webhook body. */
  name: 200,
  /** Any other text in the webhook body (a conflict, a failure). */
  text: 500,
} as const;

export interface Fact {
  label: string;
  value: string;
}
export interface Section {
  heading: string;
  lines: string[];
}
export interface Command {
  /** `approve`, `reject`, `Temporal CLI`, `Temporal UI`, `status`. */
  label: string;
  command: string;
  /** A shell command (shown in code font); false for an instruction, such as the Temporal UI's "Send a Signal". */
  shell: boolean;
}
export interface Link {
  label: string;
  url: string;
}

/** A notification, channel-neutral. All texts are single lines and within BUDGET. */
export interface Message {
  title: string;
  summary: string;
  facts: Fact[];
  sections: Section[];
  commands: Command[];
  links: Link[];
  footer: string;
}

/** What a builder needs beyond the event: where the Temporal UI is and the workflow's namespace. */
export interface RenderContext {
  /** The Temporal UI's base URL (LIFETIME_DEPLOY_UI_URL); without it messages carry no UI link. */
  uiUrl?: string;
  namespace: string;
}

export const UI_URL_HINT = 'set LIFETIME_DEPLOY_UI_URL on the worker to link to the Temporal UI';

/** The workflow's page in the Temporal UI: `<ui>/namespaces/<namespace>/workflows/<workflowId>`. */
export function workflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

const GATE_NAME: Record<NotifyGateKind, string> = {
  conflicts: 'conflict gate',
  intervention: 'intervention gate',
  promotion: 'promotion gate',
};

function waitingFor(e: NotifyEvent): string {
  switch (e.gate?.kind) {
    case 'conflicts':
      return 'the plan has conflicts';
    case 'intervention':
      return 'LifeTime needs user intervention';
    case 'promotion':
      return `promotion${e.stage ? ` to ${e.stage}` : ''} waits for approval`;
    default:
      return 'a gate is open';
  }
}

const gateName = (e: NotifyEvent): string => (e.gate ? GATE_NAME[e.gate.kind] : 'gate');

function decided(e: NotifyEvent): string {
  const d = e.decision;
  if (!d) return `${gateName(e)} decided`;
  const verb = d.decision === 'approve' ? 'approved' : 'rejected';
  return d.automatic ? `${gateName(e)} ${verb} automatically` : `${gateName(e)} ${verb} by ${d.by}`;
}

function title(e: NotifyEvent): string {
  const what = e.workflow.type === 'promoteRelease' ? 'Release' : 'Deployment';
  switch (e.type) {
    case 'gate.opened':
      return `Decision needed: ${waitingFor(e)}`;
    case 'gate.reminder':
      return `Reminder: decision still needed: ${waitingFor(e)}`;
    case 'gate.decided':
      return `Decided: ${decided(e)}`;
    case 'gate.expired':
      return `Gate deadline passed: ${decided(e)}`;
    case 'workflow.ended':
      return `${what} ended: ${e.outcome ?? 'unknown outcome'}`;
  }
}

const isOpenGateEvent = (e: NotifyEvent): boolean => e.type === 'gate.opened' || e.type === 'gate.reminder';

function facts(e: NotifyEvent): Fact[] {
  const out: Fact[] = [];
  const add = (label: string, value: string | undefined) => {
    if (value) out.push({ label, value: line(value, BUDGET.fact) });
  };
  const g = e.gate;
  if (g && isOpenGateEvent(e)) {
    add(
      'Waiting for',
      g.approvers.length ? listInline(g.approvers, BUDGET.shown, 100) : 'anyone allowed to decide (no approver list)',
    );
  }
  add(
    'Applications',
    listInline(
      e.applications.map((a) => (a.version ? `${a.name} (${a.version})` : a.name)),
      BUDGET.shown,
      100,
    ),
  );
  add('Route', e.route.join(' → '));
  add('Stage', e.stage);
  add('Requested by', e.requestedBy);
  add('Plan', e.deploymentKey);
  if (g && e.type !== 'gate.decided') {
    if (isOpenGateEvent(e)) {
      const open = e.type === 'gate.reminder' ? durationBetween(g.openedAt, e.at) : undefined;
      add('Gate opened', `${formatInstant(g.openedAt)}${open ? ` (open for ${open})` : ''}`);
    }
    const left = isOpenGateEvent(e) ? relative(e.at, g.deadline) : undefined;
    add('Deadline', `${formatInstant(g.deadline)}${left ? ` (${left})` : ''}`);
    add('At the deadline', g.onTimeout);
  }
  if (e.decision) {
    const d = e.decision;
    add('Decision', `${d.decision}${d.automatic ? ' (automatic)' : ` by ${d.by}`}`);
    add('Reason', d.reason);
  }
  if (e.type === 'workflow.ended') {
    add('Outcome', e.outcome);
    add('Failure', e.failure);
    if (e.durationSeconds !== undefined) add('Duration', formatDuration(e.durationSeconds));
  }
  add('Workflow', `${e.workflow.id} (${e.workflow.type})`);
  return out;
}

const isKnownInfo = (info: string): info is InterventionInfo => Object.hasOwn(INFO_TEXT, info);

function sections(e: NotifyEvent): Section[] {
  const out: Section[] = [];
  const g = e.gate;
  if (!g) return out;
  const why = [line(g.reason, BUDGET.reason)];
  if (g.info) {
    const plain = g.infoText ?? (isKnownInfo(g.info) ? INFO_TEXT[g.info] : undefined);
    if (!plain || !g.reason.includes(plain)) {
      why.push(line(`LifeTime Info "${g.info}"${plain ? `: ${plain}` : ''}`, BUDGET.reason));
    }
  }
  out.push({ heading: `Why the ${GATE_NAME[g.kind]} ${isOpenGateEvent(e) ? 'is' : 'was'} open`, lines: why });
  if (g.conflicts?.length) {
    const total = Math.max(g.conflictsTotal ?? 0, g.conflicts.length);
    out.push({
      heading: `Conflicts (${total})`,
      lines: listLines(g.conflicts, BUDGET.shown, BUDGET.item, total),
    });
  }
  if (g.missingMappings?.length) {
    out.push({
      heading: `Missing database mappings (${g.missingMappings.length})`,
      lines: listLines(
        g.missingMappings.map((m) => `extension ${m.extension}: logical database ${m.logicalDatabase} is not mapped`),
        BUDGET.shown,
        BUDGET.item,
      ),
    });
  }
  if (isOpenGateEvent(e) && (g.onApprove || g.onReject)) {
    const answers: string[] = [];
    if (g.onApprove) answers.push(line(`approve: ${g.onApprove}`, BUDGET.item));
    if (g.onReject) answers.push(line(`reject: ${g.onReject}`, BUDGET.item));
    out.push({ heading: 'What the answers do', lines: answers });
  }
  return out;
}

/** The `where` of answerCommands' instruction for the Temporal UI (not a shell command). */
const TEMPORAL_UI = 'Temporal UI';

/** The status command of a workflow (the CLI's `status`). */
export const statusCommand = (workflowId: string): string => `npx lifetime-deploy status ${workflowId}`;

function commands(e: NotifyEvent): Command[] {
  const out: Omit<Command, 'shell'>[] = [];
  const open = isOpenGateEvent(e);
  if (e.commands) {
    if (open && e.commands.approve) out.push({ label: 'approve', command: e.commands.approve });
    if (open && e.commands.reject) out.push({ label: 'reject', command: e.commands.reject });
    out.push({ label: 'status', command: e.commands.status });
  } else {
    if (open) out.push(...answerCommands(e.workflow.id).map((c) => ({ label: c.where, command: c.command })));
    out.push({ label: 'status', command: statusCommand(e.workflow.id) });
  }
  return out.map((c) => ({
    label: c.label,
    command: line(c.command, BUDGET.command),
    shell: c.label !== TEMPORAL_UI,
  }));
}

function links(e: NotifyEvent, ctx: RenderContext): Link[] {
  const out: Link[] = [];
  const ui = ctx.uiUrl && httpUrl(workflowUrl(ctx.uiUrl, ctx.namespace, e.workflow.id));
  if (ui) out.push({ label: 'Open in the Temporal UI', url: ui });
  const lifetime = httpUrl(e.detailsUrl);
  if (lifetime) out.push({ label: 'Open the plan in LifeTime', url: lifetime });
  return out;
}

/** The message for an event. */
export function renderMessage(e: NotifyEvent, ctx: RenderContext): Message {
  return {
    title: line(title(e), BUDGET.title),
    summary: line(e.summary, BUDGET.summary),
    facts: facts(e),
    sections: sections(e),
    commands: commands(e),
    links: links(e, ctx),
    footer: line(`lifetime-deploy · ${e.type} · ${e.id}${ctx.uiUrl ? '' : ` · ${UI_URL_HINT}`}`, BUDGET.fact),
  };
}

/** The message as plain text (Slack's fallback text, the webhook body's `text`). */
export function messageText(m: Message): string {
  const parts = [m.title, m.summary, '', ...m.facts.map((f) => `${f.label}: ${f.value}`)];
  for (const s of m.sections) parts.push('', `${s.heading}:`, ...s.lines.map((l) => `- ${l}`));
  if (m.commands.length) parts.push('', 'Commands:', ...m.commands.map((c) => `- ${c.label}: ${c.command}`));
  if (m.links.length) parts.push('', 'Links:', ...m.links.map((l) => `- ${l.label}: ${l.url}`));
  parts.push('', m.footer);
  return parts.join('\n');
}
