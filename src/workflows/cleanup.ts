/** Cleanup in LifeTime: delete a saved plan; after cancellation, the deadline or a failure, abort a running one. */
import { ActivityFailure, sleep } from '@temporalio/workflow';
import { act, commands, polls, TERMINAL } from './activity-proxies';
import type { DeployState, Outcome } from './messages';
import { appendLog, type Visibility } from './state';

export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

export async function deletePlan(s: DeployState, vis: Visibility): Promise<void> {
  const key = s.deploymentKey!;
  vis.step('cleanup');
  const r = await act.commands.deletePlan.executeWithOptions({ ...commands, summary: `Delete plan ${key}` }, [key]);
  s.cleanup = r.deleted ? `plan ${key} deleted` : `plan ${key} could not be deleted: ${r.refusal}`;
  if (r.deleted) s.lifetimeStatus = 'deleted';
}

/**
 * Cleanup after cancellation, the deadline or a failure (runs in a non-cancellable scope): delete a saved
 * plan, abort a running one and follow it to its end; if LifeTime refuses the abort, say so and follow on.
 */
export async function cleanUp(s: DeployState, vis: Visibility, outcome: Outcome): Promise<void> {
  const key = s.deploymentKey;
  if (!key || s.lifetimeStatus === 'deleted') {
    s.cleanup ??= 'nothing to clean up in LifeTime';
    return;
  }
  vis.step('cleanup');
  try {
    const st = await act.polls.getStatus.executeWithOptions({ ...polls, summary: `Status of ${key} before cleanup` }, [
      { key, logFrom: s.logCount },
    ]);
    s.lifetimeStatus = st.status;
    appendLog(s, st.newLog);
    if (st.status === 'saved' && !s.timings.startedAt) {
      await deletePlan(s, vis);
      return;
    }
    if (TERMINAL.has(st.status)) {
      s.cleanup = `plan ${key} had already ended (${st.status})`;
      return;
    }
    if (st.status !== 'aborting') {
      const r = await act.commands.sendCommand.executeWithOptions({ ...commands, summary: `Abort ${key}` }, [
        { key, command: 'abort' },
      ]);
      if (!r.accepted) s.notes.push(`LifeTime refused abort (past the point of no return?): ${r.refusal}`);
      s.cleanup = r.accepted
        ? `abort sent to plan ${key}`
        : `abort refused by LifeTime: ${r.refusal}; followed the plan to its end`;
    }
    vis.step('aborting');
    // Follow the plan to a terminal status; on refusal it finishes on its own.
    for (let i = 0; i < 10_000; i++) {
      await sleep(2000, { summary: 'wait for the plan to end after abort' });
      const now = await act.polls.getStatus.executeWithOptions({ ...polls, summary: `Poll status of ${key}` }, [
        { key, logFrom: s.logCount },
      ]);
      s.polls += 1;
      s.lifetimeStatus = now.status;
      s.info = now.info || undefined;
      appendLog(s, now.newLog);
      vis.update();
      if (TERMINAL.has(now.status)) {
        s.cleanup = `${s.cleanup ?? ''}; plan ended ${now.status}`.replace(/^; /, '');
        return;
      }
      if (now.status === 'needs_user_intervention') {
        const again = await act.commands.sendCommand.executeWithOptions({ ...commands, summary: `Abort ${key}` }, [
          { key, command: 'abort' },
        ]);
        if (!again.accepted) {
          s.cleanup = `${s.cleanup}; plan waits for user intervention in LifeTime and refused abort`;
          return;
        }
      }
    }
  } catch (err) {
    s.cleanup = `cleanup failed for plan ${key}: ${failureMessage(err)} (outcome ${outcome})`;
  }
}
