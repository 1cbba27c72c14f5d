/**
 * A target in maintenance mode or offline: LifeTime refuses `start` and `continue` (reference: environments'
 * maintenance mode). The deployment treats it like a busy target: it waits on durable timers within the busy-target
 * policy (`wait`, `maxWaitMinutes`, `checkIntervalSeconds`), saying why in the state, a note and the details, or
 * ends `failed` (TargetUnavailable) with LifeTime's reason. Deterministic code only.
 */
import { sleep } from '@temporalio/workflow';
import { DeploymentFailure, type Deployment } from './deployment';
import type { TargetUnavailability } from './messages';
import { addNote, clip } from './state';

/** Why the target refuses, in one line with LifeTime's words: `target Production is in maintenance mode (LifeTime: …)`. */
export function unavailableText(d: Deployment, u: TargetUnavailability): string {
  return clip(`target ${d.s.target?.name ?? '?'} ${phrase(u)} (LifeTime: ${u.lifetime.replace(/\.+$/, '')})`);
}

const phrase = (u: TargetUnavailability): string => (u.kind === 'offline' ? 'is offline' : 'is in maintenance mode');

/**
 * Records a refusal for an unavailable target in the state (since the first refusal of this wait) and returns its
 * text; a note says so when the wait begins or its reason changes.
 */
export function markUnavailable(d: Deployment, u: TargetUnavailability, command: 'start' | 'continue'): string {
  const { s } = d;
  const reason = unavailableText(d, u);
  const { maxWaitMinutes, action } = d.req.policies.busyTarget;
  const before = s.targetUnavailable;
  if (!before || !before.reason.includes(` ${phrase(u)} (`)) {
    addNote(
      s,
      action === 'fail'
        ? `${reason}; LifeTime refuses ${command}`
        : `${reason}; LifeTime refuses ${command}; waiting up to ${maxWaitMinutes} min`,
    );
  }
  s.targetUnavailable = { since: before?.since ?? new Date().toISOString(), reason };
  d.vis.update();
  return reason;
}

/** The busy-target policy gave up on an unavailable target (policy `fail`, or waited past `maxWaitMinutes`). */
export function unavailableFailure(d: Deployment, reason: string, byPolicy: boolean): DeploymentFailure {
  const { maxWaitMinutes } = d.req.policies.busyTarget;
  return new DeploymentFailure(
    'TargetUnavailable',
    byPolicy
      ? `${reason} (busy-target policy: fail)`
      : `${reason}; it stayed unavailable for ${maxWaitMinutes} min (busy-target policy limit)`,
  );
}

/**
 * At an intervention, `continue` was refused because the target is unavailable: within the busy-target policy, wait
 * one check interval on a durable timer (the decided `continue` stays pending and is sent again after the next status
 * poll), or end `failed`. The plan is left waiting in LifeTime, as after any failure.
 */
export async function continueWhenAvailable(d: Deployment, u: TargetUnavailability): Promise<true> {
  const { s } = d;
  const reason = markUnavailable(d, u, 'continue');
  const { action, maxWaitMinutes, checkIntervalSeconds } = d.req.policies.busyTarget;
  const waitUntil = Date.parse(s.targetUnavailable!.since) + maxWaitMinutes * 60_000;
  if (action === 'fail' || Date.now() + checkIntervalSeconds * 1000 > waitUntil) {
    throw unavailableFailure(d, reason, action === 'fail');
  }
  if (s.step !== 'wait-for-target') d.step('wait-for-target');
  await sleep(checkIntervalSeconds * 1000, { summary: 'wait for the target to leave maintenance mode / come online' });
  return true;
}
