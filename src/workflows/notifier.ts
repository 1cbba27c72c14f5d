/**
 * Notifications from a workflow (a deployment or a release): gate opened, reminders, decided, expired, ended. Each
 * event goes to every channel the worker has configured, as one `notify` activity per channel with a bounded retry
 * policy and a stable event id; it runs beside the workflow and never decides or delays it. What happened to each
 * is recorded (delivered, or failed with the receiver's status), never a URL.
 */
import { patched, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { NotifyActivities } from '../activities/notify';
import {
  notifyEventId,
  type ChannelName,
  type NotificationRecord,
  type NotificationSettingsView,
  type NotifyEvent,
  type NotifyEventType,
  type NotifyGate,
} from '../notify/event';
import { failedRecord, NOTIFY_ACTIVITY_OPTIONS, NOTIFY_SETTINGS_OPTIONS } from '../notify/policy';
import { INFO_TEXT } from './presentation';
import type { GateView } from './messages';
import { INTERVENTION_INFOS, type InterventionInfo } from '../lifetime/schemas';

/** patched() id: workflows notify people (histories recorded before it have no notification commands). */
export const NOTIFICATIONS = 'notifications';

/** Notification records kept in the state and result (the first ones; the rest are counted). */
export const NOTIFICATIONS_KEPT = 100;

const deliver = proxyActivities<NotifyActivities>(NOTIFY_ACTIVITY_OPTIONS);
/** The ended notification: fewer retries, so the workflow closes soon after its outcome. */
const deliverAtEnd = proxyActivities<NotifyActivities>({
  ...NOTIFY_ACTIVITY_OPTIONS,
  scheduleToCloseTimeout: '1 minute',
});
const settingsOf = proxyLocalActivities<NotifyActivities>(NOTIFY_SETTINGS_OPTIONS);

/** What the state keeps of notifications. */
export interface NotificationState {
  notifications?: NotificationRecord[];
  notificationsNotKept?: number;
}

/** The workflow-specific parts of every event. */
export type EventBase = Pick<
  NotifyEvent,
  | 'workflow'
  | 'summary'
  | 'applications'
  | 'route'
  | 'stage'
  | 'requestedBy'
  | 'deploymentKey'
  | 'detailsUrl'
  | 'commands'
>;

const isKnownInfo = (info: string): info is InterventionInfo =>
  (INTERVENTION_INFOS as readonly string[]).includes(info);

/** A gate as a notification shows it. */
export function notifyGate(g: GateView, approvers: string[]): NotifyGate {
  return {
    id: g.id,
    kind: g.kind,
    reason: g.problem ? `${g.reason} Last answer could not apply: ${g.problem}` : g.reason,
    ...(g.info ? { info: g.info } : {}),
    ...(g.info && isKnownInfo(g.info) ? { infoText: INFO_TEXT[g.info] } : {}),
    ...(g.conflicts ? { conflicts: g.conflicts } : {}),
    ...(g.missingMappings
      ? {
          missingMappings: g.missingMappings.map((m) => ({
            extension: m.extension,
            logicalDatabase: m.logicalDatabase,
          })),
        }
      : {}),
    openedAt: g.openedAt,
    deadline: g.deadline,
    onTimeout: g.onTimeout,
    onApprove: g.onApprove,
    onReject: g.onReject,
    approvers,
  };
}

export class Notifier {
  private settings?: Promise<NotificationSettingsView>;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly s: NotificationState,
    private readonly base: () => EventBase,
    private readonly onChange: () => void,
  ) {}

  /** The worker's channels and reminder interval (a local activity, once a run); none for old histories. */
  private view(): Promise<NotificationSettingsView> {
    this.settings ??= patched(NOTIFICATIONS)
      ? settingsOf.notificationSettings().catch(() => ({ channels: [], reminderMinutes: 0 }))
      : Promise.resolve({ channels: [] as ChannelName[], reminderMinutes: 0 });
    return this.settings;
  }

  /** Minutes between reminders while a gate waits (0: none, also when no channel is configured). */
  async reminderMinutes(): Promise<number> {
    const v = await this.view();
    return v.channels.length ? v.reminderMinutes : 0;
  }

  /** Sends an event to every channel, in the background of the workflow. */
  async emit(
    type: NotifyEventType,
    extra: Partial<Pick<NotifyEvent, 'gate' | 'decision' | 'outcome' | 'failure' | 'durationSeconds' | 'summary'>>,
    where: { gate?: number; reminder?: number } = {},
  ): Promise<void> {
    const { channels } = await this.view();
    if (!channels.length) return;
    const info = workflowInfo();
    const event: NotifyEvent = {
      ...this.base(),
      ...extra,
      id: notifyEventId({ workflowId: info.workflowId, firstRunId: info.firstExecutionRunId }, type, where),
      type,
      at: new Date().toISOString(),
    };
    const activity = type === 'workflow.ended' ? deliverAtEnd : deliver;
    for (const channel of channels) {
      const p: Promise<void> = activity
        .notify({ channel, event })
        .catch((err: unknown) => failedRecord({ channel, event }, err, new Date().toISOString()))
        .then((record) => this.keep(record))
        .finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }
  }

  private keep(record: NotificationRecord): void {
    const list = (this.s.notifications ??= []);
    if (list.length < NOTIFICATIONS_KEPT) list.push(record);
    else this.s.notificationsNotKept = (this.s.notificationsNotKept ?? 0) + 1;
    this.onChange();
  }

  /** Waits for the deliveries still under way (their retries are bounded by the activity options). */
  async drain(): Promise<void> {
    await Promise.all([...this.inflight]);
  }
}
