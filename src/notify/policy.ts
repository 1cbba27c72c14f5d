/**
 * How the workflow runs the `notify` activity, and how it records a notification that could not be delivered.
 * Delivery never hurts the deployment: a bounded retry policy (a receiver that is down costs a few minutes of
 * retries in the background of the workflow, never a decision), failures typed so a rejection (4xx) is not retried.
 * Pure values and functions: deterministic workflow code imports this file.
 */
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/common';
import type { NotificationRecord, NotifyInput } from './event';

/** The ApplicationFailure types the `notify` activity raises. */
export type NotifyFailureType =
  /** The receiver could not be reached, timed out, or answered 408, 429 or 5xx: retried. */
  | 'NotificationFailed'
  /** The receiver refused the message (3xx, 4xx other than 408/429): not retried. */
  | 'NotificationRejected'
  /** The channel is not configured on this worker: not retried. */
  | 'NotificationNotConfigured';

/** The `details[0]` of a notify ApplicationFailure. */
export interface NotifyFailureDetails {
  channel: string;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** The attempt that failed. */
  attempt: number;
}

/**
 * Retries for one notification: after 5 s, 10 s, 20 s, 40 s and 60 s (six attempts), so a receiver that is down is
 * given up on about 2¼ minutes (plus the attempts' own time, at most 15 s each) after the first try.
 */
export const NOTIFY_RETRY_POLICY: RetryPolicy = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '60 seconds',
  maximumAttempts: 6,
  nonRetryableErrorTypes: ['NotificationRejected', 'NotificationNotConfigured'] satisfies NotifyFailureType[],
};

/** Per-request timeout of a delivery (the Standard Webhooks spec recommends 15 to 30 s). */
export const NOTIFY_REQUEST_TIMEOUT_MS = 15_000;

/** Activity options for `notify`: each attempt bounded, all attempts together within 5 minutes. */
export const NOTIFY_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '5 minutes',
  retry: NOTIFY_RETRY_POLICY,
};

/** Options for `notificationSettings` as a local activity (it reads the worker's settings; no I/O). */
export const NOTIFY_SETTINGS_OPTIONS: LocalActivityOptions = { startToCloseTimeout: '10 seconds' };

/** Characters kept of a delivery error in a record. */
export const RECORD_ERROR_MAX = 200;

interface FailureLike {
  message?: unknown;
  details?: unknown;
  cause?: unknown;
}

function detailsOf(f: FailureLike): NotifyFailureDetails | undefined {
  const first: unknown = Array.isArray(f.details) ? f.details[0] : undefined;
  if (!first || typeof first !== 'object') return undefined;
  const d = first as Partial<NotifyFailureDetails>;
  return typeof d.attempt === 'number' ? (d as NotifyFailureDetails) : undefined;
}

/**
 * The record of a notification whose delivery failed, from what the workflow caught (an ActivityFailure whose cause
 * is the activity's ApplicationFailure, or a timeout): the receiver's status and the attempt from the failure's
 * details, the innermost message (clipped). `at` is the workflow's time.
 */
export function failedRecord(input: NotifyInput, err: unknown, at: string): NotificationRecord {
  let message = 'delivery failed';
  let details: NotifyFailureDetails | undefined;
  let f: unknown = err;
  for (let depth = 0; depth < 8 && f && typeof f === 'object'; depth++) {
    const like = f as FailureLike;
    if (typeof like.message === 'string' && like.message) message = like.message;
    details = detailsOf(like) ?? details;
    f = like.cause;
  }
  const error = message.length > RECORD_ERROR_MAX ? `${message.slice(0, RECORD_ERROR_MAX - 1)}…` : message;
  return {
    event: input.event.id,
    type: input.event.type,
    channel: input.channel,
    delivered: false,
    ...(details?.status !== undefined ? { status: details.status } : {}),
    error,
    ...(details ? { attempts: details.attempt } : {}),
    at,
  };
}
