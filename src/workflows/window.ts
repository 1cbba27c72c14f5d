/**
 * Deployment windows in the workflow (request `window` / `notBefore`): steps 1–4 run at once; `start` (or, with the
 * intervention policy `deployment_prepared: window`, stage 2's `continue`) waits on a durable timer for the window to
 * open. The window's instants come from a local activity given the workflow's clock (the time-zone and cron
 * libraries never enter the workflow bundle; the result is recorded, so replay is deterministic). A step that cannot
 * begin before the window closes waits for the next window, and the state says why.
 *
 * None of this runs for a request without a window, so histories recorded before windows replay unchanged.
 */
import { proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CONTINUE_AS_NEW } from './continue-as-new';
import type { Deployment } from './deployment';
import type { DeployRequest, DeployState, Step } from './messages';
import { addNote } from './state';

const windowCalls = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
} as const;
const local = proxyLocalActivities<Activities>(windowCalls);

/** The request has a deployment window (or a one-off not-before). */
export const hasWindow = (req: Pick<DeployRequest, 'window' | 'notBefore'>): boolean =>
  req.window !== undefined || req.notBefore !== undefined;

/** The window is for stage 2 (`continue` at deployment_prepared): the plan starts at once. */
export const windowAtIntervention = (req: DeployRequest): boolean =>
  req.policies.intervention.deployment_prepared === 'window';

/** `start` waits for the window. */
export const startWaitsForWindow = (req: DeployRequest): boolean => hasWindow(req) && !windowAtIntervention(req);

/** The deployment deadline counts from the window's opening: waiting for the window is not deploying. */
export function deadlineStart(s: DeployState): number {
  const requested = Date.parse(s.timings.requestedAt);
  return s.window ? Math.max(requested, Date.parse(s.window.opensAt)) : requested;
}

/** The window seen from the workflow's clock: the one open now, or the next to open. Kept in the state. */
export async function planWindow(d: Deployment): Promise<void> {
  const { req, s } = d;
  const w = await local.deploymentWindow.executeWithOptions(
    { ...windowCalls, summary: 'Compute the deployment window' },
    [{ window: req.window, notBefore: req.notBefore, now: Date.now() }],
  );
  s.window = w;
  d.vis.update();
}

/** What kept the deployment from its window, by where it was when it came back to it. */
function heldBy(s: DeployState, stage: 'start' | 'continue'): string {
  if (stage === 'continue') return 'stage 1 was still running';
  if (s.step === 'wait-for-target')
    return s.targetUnavailable
      ? `the target was still unavailable (${s.targetUnavailable.reason})`
      : 'the target was still busy';
  if (s.step === 'conflict-gate') return 'the conflict gate was still open';
  return 'the plan was not ready to start';
}

/**
 * Waits until the deployment window is open, for `start` or for stage 2's `continue`. If the window it aimed at has
 * closed (a gate answered late, a busy target, a long stage 1), it aims at the next one and says why in the state.
 * Returns at once inside the window; the sentinel when history asks for continue-as-new first. After a wait, the
 * step becomes `after` (when given).
 */
export async function waitForWindow(
  d: Deployment,
  stage: 'start' | 'continue',
  after?: Step,
): Promise<void | typeof CONTINUE_AS_NEW> {
  const { s } = d;
  if (!s.window) await planWindow(d);
  const aimed = s.window!;
  if (aimed.closesAt && Date.now() >= Date.parse(aimed.closesAt)) {
    const held = heldBy(s, stage);
    await planWindow(d);
    const w = s.window!;
    w.reason = `${held} when the window closed at ${aimed.closesAtLocal}; waiting for the next window: opens at ${w.opensAtLocal}`;
    addNote(s, w.reason);
    d.vis.update();
  }
  const ms = Date.parse(s.window!.opensAt) - Date.now();
  if (ms <= 0) return;
  // A busy or unavailable target's wait starts again in the window.
  s.busySince = undefined;
  s.targetUnavailable = undefined;
  d.step('wait-for-window');
  if (d.shouldContinueAsNew()) return CONTINUE_AS_NEW;
  await sleep(ms, { summary: 'wait for window' });
  addNote(s, `the deployment window opened at ${s.window!.opensAtLocal}${stage === 'continue' ? ' (stage 2)' : ''}`);
  if (after) d.step(after);
  else d.vis.update();
}
