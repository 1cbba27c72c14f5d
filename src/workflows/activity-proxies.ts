/** Activity proxies in named option groups (explicit timeouts and retries), shared by the workflow modules. */
import {
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { VerifyActivities } from '../activities/verify';

// Activity option groups: explicit timeouts and retries, per kind of call.
export const lookups: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
};
/** Creation is made idempotent by the Notes marker, so a few retries are safe. */
export const create: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
};
export const commands: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6 },
};
/**
 * Status reads retry briefly; past that the follow loop waits LifeTime out on durable timers and shows it in the
 * state (an unreadable status never ends the deployment: see Deployment.unreadable).
 */
export const polls: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
};

/**
 * Status polls as local activities: the poll runs in the workflow task that the poll timer wakes, so a poll costs
 * a timer, one workflow task and a marker (6 history events) instead of a timer, an activity and two workflow
 * tasks (11). A GET is safe to repeat, so the at-least-once of a local activity is enough. Retries longer than
 * `localRetryThreshold` wait on a durable timer.
 */
export const localPolls: LocalActivityOptions = {
  startToCloseTimeout: '1 minute',
  localRetryThreshold: '10s',
  retry: polls.retry,
};

export const act = {
  lookups: proxyActivities<Activities>(lookups),
  create: proxyActivities<Activities>(create),
  commands: proxyActivities<Activities>(commands),
  polls: proxyActivities<Activities>(polls),
  localPolls: proxyLocalActivities<Activities>(localPolls),
};

/** Signature checks in the worker (local activities: the allowed-approvers file never enters history). */
export const verify = proxyLocalActivities<VerifyActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});

/** patched() id: status polls run as local activities (histories recorded before it keep regular activities). */
export const LOCAL_STATUS_POLL = 'status-poll-local-activity';
