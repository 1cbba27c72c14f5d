/** Activity proxies in named option groups (explicit timeouts and retries), shared by the workflow modules. */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';

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
export const polls: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
};

export const act = {
  lookups: proxyActivities<Activities>(lookups),
  create: proxyActivities<Activities>(create),
  commands: proxyActivities<Activities>(commands),
  polls: proxyActivities<Activities>(polls),
};

export const TERMINAL = new Set([
  'aborted',
  'finished_successful',
  'finished_with_warnings',
  'finished_with_errors',
  'force_finished',
]);
