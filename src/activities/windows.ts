/**
 * The deployment window's instants, for the workflow (run as a local activity, so luxon and cron-parser stay out of
 * the workflow bundle): given the request's window and the workflow's "now", when the window opens and closes, and
 * those instants as the window's local time. An invalid window fails the deployment (InvalidRequest), not retried.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { deploymentWindow, formatLocal } from '../windows/compute';
import type { FailureType } from '../workflows/messages';

export interface WindowInput {
  window?: string;
  notBefore?: string;
  /** The workflow's clock (epoch ms), so the answer depends only on the input. */
  now: number;
}

export interface WindowAnswer {
  opensAt: string;
  closesAt?: string;
  /** `Sat 5 Dec 2026 22:00 Europe/Lisbon (UTC+00:00)`. */
  opensAtLocal: string;
  closesAtLocal?: string;
}

export const createWindowActivities = () => ({
  async deploymentWindow(input: WindowInput): Promise<WindowAnswer> {
    let w;
    try {
      w = deploymentWindow(input, new Date(input.now));
    } catch (err) {
      const type: FailureType = 'InvalidRequest';
      throw ApplicationFailure.create({
        type,
        message: `invalid deployment window: ${err instanceof Error ? err.message : String(err)}`,
        nonRetryable: true,
      });
    }
    return {
      opensAt: w.opensAt.toISOString(),
      opensAtLocal: formatLocal(w.opensAt, w.zone),
      ...(w.closesAt ? { closesAt: w.closesAt.toISOString(), closesAtLocal: formatLocal(w.closesAt, w.zone) } : {}),
    };
  },
});

export type WindowActivities = ReturnType<typeof createWindowActivities>;
