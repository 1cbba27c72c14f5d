/**
 * The one notification event: what a workflow tells people (gate opened, reminder, decided, expired, ended). The
 * workflow builds it from its own state and passes it to the `notify` activity; every channel's message is built
 * from it (src/notify/webhook.ts, slack.ts, teams.ts). Types, constants and pure functions only: deterministic
 * workflow code imports this file, so it has no Node built-ins, no I/O and no imports.
 *
 * Secrets never appear here: channel URLs and the webhook secret stay in the worker's settings.
 */

export const NOTIFY_EVENT_TYPES = [
  'gate.opened',
  'gate.reminder',
  'gate.decided',
  'gate.expired',
  'workflow.ended',
] as const;
export type NotifyEventType = (typeof NOTIFY_EVENT_TYPES)[number];

/** The gates a notification can be about (the deployment's two, and a release's promotion gate). */
export type NotifyGateKind = 'conflicts' | 'intervention' | 'promotion';

export interface NotifyGate {
  id: number;
  kind: NotifyGateKind;
  /** Why the gate is open, in readable form. */
  reason: string;
  /** LifeTime's Info at an intervention gate (e.g. `needs_configuration_or_confirmation`). */
  info?: string;
  /** The Info in plain words; when absent, the known Infos are explained by the message builders. */
  infoText?: string;
  conflicts?: string[];
  /** How many conflicts there are in all, when `conflicts` holds only some of them. */
  conflictsTotal?: number;
  /** Extensions whose database mapping is missing in the target. */
  missingMappings?: { extension: string; logicalDatabase: string }[];
  /** ISO instants. */
  openedAt: string;
  deadline: string;
  /** What happens at the deadline, in words (e.g. `reject automatically (delete the plan; …)`). */
  onTimeout: string;
  /** What an approval does, in words. */
  onApprove?: string;
  /** What a rejection does, in words. */
  onReject?: string;
  /** Who may decide (empty: anyone). */
  approvers: string[];
}

export interface NotifyDecision {
  decision: 'approve' | 'reject';
  by: string;
  reason?: string;
  /** Decided by the gate deadline or a policy, not by a person. */
  automatic?: boolean;
}

export interface NotifyEvent {
  /**
   * Stable idempotency key made by the workflow (see notifyEventId), e.g. `<workflowId>/<firstRunId>/gate-2/opened`:
   * the same on every retry, replay and continue-as-new, different for each event. Receivers deduplicate on it.
   */
  id: string;
  type: NotifyEventType;
  /** ISO instant of the event (workflow time). */
  at: string;
  workflow: { id: string; type: 'deployApplications' | 'promoteRelease' };
  /** One line: what happened, or what is waiting. */
  summary: string;
  applications: { name: string; version?: string }[];
  /** `[source, target]` for a deployment, the whole route for a release. */
  route: string[];
  /** The release stage's target, when relevant. */
  stage?: string;
  requestedBy: string;
  /** The gate the event is about (gate.* events). */
  gate?: NotifyGate;
  /** The decision applied (gate.decided, gate.expired). */
  decision?: NotifyDecision;
  /** How the workflow ended (workflow.ended), e.g. `succeeded`, `rejected`, `failed`. */
  outcome?: string;
  /** Why it failed, in words. */
  failure?: string;
  /** The LifeTime deployment plan's key. */
  deploymentKey?: string;
  durationSeconds?: number;
  /** LifeTime's link to the plan (its DetailsURL), when it gives one. */
  detailsUrl?: string;
  /**
   * The exact shell commands to answer and inspect, when they differ from the deployment's (`lifetime-deploy
   * approve|reject|status <workflowId>`, made by the builders from the workflow ID).
   */
  commands?: { approve?: string; reject?: string; status: string };
}

/**
 * The id of an event: `<workflowId>/<firstRunId>/[gate-<n>/]<type or reminder-<k>>`. The first run ID
 * (`workflowInfo().firstExecutionRunId`) stays the same across continue-as-new and tells apart two deployments that
 * reuse a workflow ID; the gate number and the reminder count tell apart the events of one deployment.
 */
export function notifyEventId(
  execution: { workflowId: string; firstRunId: string },
  type: NotifyEventType,
  where: { gate?: number; reminder?: number } = {},
): string {
  const parts = [execution.workflowId, execution.firstRunId];
  if (where.gate !== undefined) parts.push(`gate-${where.gate}`);
  parts.push(type === 'gate.reminder' && where.reminder !== undefined ? `reminder-${where.reminder}` : type);
  return parts.join('/');
}

export const CHANNELS = ['webhook', 'slack', 'teams'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/** What the state and the result keep of one notification: never the URL, never the message. */
export interface NotificationRecord {
  /** The event's id. */
  event: string;
  type: NotifyEventType;
  channel: ChannelName;
  delivered: boolean;
  /** The receiver's HTTP status (last attempt), when it answered. */
  status?: number;
  /** Why delivery failed, short (never the URL). */
  error?: string;
  /** Attempts made (the activity's attempt number). */
  attempts?: number;
  /** ISO instant: when it was delivered, or when the workflow gave up. */
  at: string;
}

/** What the `notify` activity takes. */
export interface NotifyInput {
  channel: ChannelName;
  event: NotifyEvent;
}

/** What the `notificationSettings` activity returns (no URLs, no secrets). */
export interface NotificationSettingsView {
  /** The configured channels, in a fixed order (webhook, slack, teams). */
  channels: ChannelName[];
  /** Minutes between reminders while a gate stays open; 0 = no reminders. */
  reminderMinutes: number;
}
