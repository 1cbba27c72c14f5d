/**
 * What a fetched workflow history says: events by type, Temporal Cloud billable-action equivalents, activity
 * retries and failures, and timer lag (when a timer fired, and when the next status poll started, against the
 * instant it was due: TimerStarted time + startToFireTimeout).
 *
 * Action rules: https://docs.temporal.io/cloud/actions ("Temporal Cloud Actions"): workflow started (also per
 * continue-as-new run), each activity scheduled and each retry (ActivityTaskStarted.attempt − 1), each timer
 * started (including the implicit timer of `condition` with a timeout), each signal, each
 * UpsertWorkflowSearchAttributes command (TemporalChangeVersion-only upserts excluded), markers (local
 * activities / side effects: one per workflow task), child workflow start (2), accepted updates, workflow
 * options updates, Nexus operations. Queries are actions too but leave no history; the benchmark sends none.
 */
import type { temporal } from '@temporalio/proto';
import { temporal as proto } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Ts = { seconds?: unknown; nanos?: number | null } | null | undefined;

const ET = proto.api.enums.v1.EventType;

/** Protobuf Timestamp / Duration → ms (with sub-ms precision). */
export function tsMs(ts: Ts): number {
  if (!ts) return NaN;
  const s = ts.seconds;
  const seconds = typeof s === 'number' ? s : s === null || s === undefined ? 0 : Number(String(s));
  return seconds * 1000 + (ts.nanos ?? 0) / 1e6;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : v === null || v === undefined ? 0 : Number(String(v)));

function typeName(e: HistoryEvent): string {
  const t = e.eventType as unknown;
  const name = typeof t === 'string' ? t : (ET[t as number] ?? String(t));
  return name.replace(/^EVENT_TYPE_/, '');
}

function summaryOf(e: HistoryEvent): string | undefined {
  const data = e.userMetadata?.summary?.data;
  if (!data) return undefined;
  const text = Buffer.from(data).toString('utf8');
  try {
    return String(JSON.parse(text));
  } catch {
    return text;
  }
}

/** The activity type of a local-activity marker (the SDK records it in the marker's `data` detail), else undefined. */
function localActivityType(e: HistoryEvent): string | undefined {
  const a = e.markerRecordedEventAttributes;
  if (!a || a.markerName !== 'core_local_activity') return undefined;
  const payload = a.details?.data?.payloads?.[0]?.data;
  if (!payload) return '?';
  try {
    const data = JSON.parse(Buffer.from(payload).toString('utf8')) as { activity_type?: string };
    return data.activity_type ?? '?';
  } catch {
    return '?';
  }
}

export interface HistoryFacts {
  events: number;
  byType: Record<string, number>;
  actions: number;
  actionsByRule: Record<string, number>;
  activitiesByType: Record<string, number>;
  activityRetries: number;
  activityFailures: number;
  workflowTaskFailures: number;
  timersStarted: number;
  timersFired: number;
  /** Poll timers only: TimerFired time − (TimerStarted time + startToFireTimeout), wall ms. */
  fireLagMs: number[];
  /** Poll timers only: start of the next getStatus attempt − due instant, wall ms. For a local-activity poll the
   * start is the workflow task it runs in (WorkflowTaskStarted). */
  pollLagMs: number[];
  /** Local activities by type, from their markers. */
  localActivitiesByType: Record<string, number>;
  signals: number;
  upserts: number;
  startMs: number;
  closeMs: number;
  /** Event times (wall ms), for counting what happened in a window. */
  eventTimesMs: number[];
}

const POLL_TIMER = 'wait before the next status poll';

export function analyzeHistory(history: temporal.api.history.v1.IHistory): HistoryFacts {
  const events = history.events ?? [];
  const byType: Record<string, number> = {};
  const rules: Record<string, number> = {};
  const add = (rule: string, n = 1): void => {
    if (n > 0) rules[rule] = (rules[rule] ?? 0) + n;
  };
  const activitiesByType: Record<string, number> = {};
  const scheduledType = new Map<number, string>();
  const timers = new Map<string, { startedMs: number; timeoutMs: number; poll: boolean }>();
  const markerTasks = new Set<number>();
  const fireLagMs: number[] = [];
  const pollLagMs: number[] = [];
  let pendingDue: number | undefined; // due instant of the last fired poll timer, until its getStatus starts
  let pendingPollScheduled: number | undefined;
  let pendingTaskStart: number | undefined; // WorkflowTaskStarted after a poll timer fired (local-activity polls)
  const localActivitiesByType: Record<string, number> = {};
  let activityRetries = 0;
  let activityFailures = 0;
  let workflowTaskFailures = 0;
  let timersStarted = 0;
  let timersFired = 0;
  let signals = 0;
  let upserts = 0;
  for (const e of events) {
    const type = typeName(e);
    byType[type] = (byType[type] ?? 0) + 1;
    const at = tsMs(e.eventTime as Ts);
    const id = num(e.eventId);
    switch (type) {
      case 'WORKFLOW_EXECUTION_STARTED':
        add('workflow started');
        break;
      case 'ACTIVITY_TASK_SCHEDULED': {
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        activitiesByType[name] = (activitiesByType[name] ?? 0) + 1;
        scheduledType.set(id, name);
        if (name === 'getStatus' && pendingDue !== undefined && pendingPollScheduled === undefined)
          pendingPollScheduled = id;
        add('activity scheduled');
        break;
      }
      case 'ACTIVITY_TASK_STARTED': {
        const a = e.activityTaskStartedEventAttributes;
        const attempt = num(a?.attempt) || 1;
        activityRetries += attempt - 1;
        add('activity retry', attempt - 1);
        if (pendingDue !== undefined && num(a?.scheduledEventId) === pendingPollScheduled) {
          pollLagMs.push(at - pendingDue);
          pendingDue = pendingPollScheduled = undefined;
        }
        break;
      }
      case 'ACTIVITY_TASK_FAILED':
      case 'ACTIVITY_TASK_TIMED_OUT':
        activityFailures += 1;
        break;
      case 'WORKFLOW_TASK_STARTED':
        if (pendingDue !== undefined && pendingPollScheduled === undefined) pendingTaskStart = at;
        break;
      case 'WORKFLOW_TASK_FAILED':
      case 'WORKFLOW_TASK_TIMED_OUT':
        workflowTaskFailures += 1;
        break;
      case 'TIMER_STARTED': {
        const a = e.timerStartedEventAttributes;
        timersStarted += 1;
        timers.set(a?.timerId ?? String(id), {
          startedMs: at,
          timeoutMs: tsMs(a?.startToFireTimeout as Ts),
          poll: summaryOf(e) === POLL_TIMER,
        });
        add('timer started');
        break;
      }
      case 'TIMER_FIRED': {
        timersFired += 1;
        const t = timers.get(e.timerFiredEventAttributes?.timerId ?? '');
        if (t?.poll) {
          const due = t.startedMs + t.timeoutMs;
          fireLagMs.push(at - due);
          pendingDue = due;
          pendingPollScheduled = undefined;
          pendingTaskStart = undefined;
        }
        break;
      }
      case 'WORKFLOW_EXECUTION_SIGNALED':
        signals += 1;
        add('signal');
        break;
      case 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES': {
        const fields = Object.keys(
          e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
        );
        upserts += 1;
        if (!(fields.length === 1 && fields[0] === 'TemporalChangeVersion')) add('search attribute upsert');
        break;
      }
      case 'MARKER_RECORDED': {
        const task = num(e.markerRecordedEventAttributes?.workflowTaskCompletedEventId);
        if (!markerTasks.has(task)) add('markers (per workflow task)');
        markerTasks.add(task);
        const la = localActivityType(e);
        if (la) {
          localActivitiesByType[la] = (localActivitiesByType[la] ?? 0) + 1;
          if (la === 'getStatus' && pendingDue !== undefined && pendingTaskStart !== undefined) {
            pollLagMs.push(pendingTaskStart - pendingDue);
            pendingDue = pendingTaskStart = undefined;
          }
        }
        break;
      }
      case 'START_CHILD_WORKFLOW_EXECUTION_INITIATED':
        add('child workflow start', 2);
        break;
      case 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED':
        add('update accepted');
        break;
      case 'WORKFLOW_EXECUTION_OPTIONS_UPDATED':
        add('workflow options updated');
        break;
      case 'NEXUS_OPERATION_SCHEDULED':
      case 'NEXUS_OPERATION_CANCEL_REQUESTED':
        add('nexus operation');
        break;
    }
  }
  const times = events.map((e) => tsMs(e.eventTime as Ts));
  return {
    events: events.length,
    byType,
    actions: Object.values(rules).reduce((s, v) => s + v, 0),
    actionsByRule: rules,
    activitiesByType,
    activityRetries,
    activityFailures,
    workflowTaskFailures,
    timersStarted,
    timersFired,
    fireLagMs,
    pollLagMs,
    localActivitiesByType,
    signals,
    upserts,
    startMs: times[0] ?? NaN,
    closeMs: times[times.length - 1] ?? NaN,
    eventTimesMs: times,
  };
}
