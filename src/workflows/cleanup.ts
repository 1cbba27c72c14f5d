/**
 * The commands that change a plan (delete, continue, abort), and the cleanup after cancellation, the deadline or a
 * failure: delete a saved plan; abort a running one and follow it to its end with the one follow loop. A plan built
 * in LifeTime (`planOwned: false`) is never deleted, and aborted only when `operatorPlanOnStop` is `abort`.
 */
import { isTerminalStatus } from '../lifetime/schemas';
import { act, commands } from './activity-proxies';
import { CONTINUE_AS_NEW, failureOf, type Deployment, type Ended } from './deployment';
import { followPlan, readStatus } from './follow';
import { addNote } from './state';

export async function deletePlan(d: Deployment): Promise<void> {
  const { s } = d;
  const key = s.deploymentKey!;
  d.step('cleanup');
  if (s.planOwned === false) {
    s.cleanup = `plan ${key} left as it was: saved (built in LifeTime, not by this deployment; never deleted)`;
    return;
  }
  const r = await act.commands.deletePlan.executeWithOptions({ ...commands, summary: `Delete plan ${key}` }, [key]);
  s.cleanup = r.deleted ? `plan ${key} deleted` : `plan ${key} could not be deleted: ${r.refusal}`;
  if (r.deleted) s.planDeleted = true;
}

/** `continue` or `abort`; a refusal by LifeTime is returned, not thrown. */
export async function sendCommand(d: Deployment, command: 'continue' | 'abort') {
  const key = d.s.deploymentKey!;
  const summary = command === 'abort' ? `Abort ${key}` : `Send ${command} to ${key}`;
  return act.commands.sendCommand.executeWithOptions({ ...commands, summary }, [{ key, command }]);
}

/**
 * Cleanup once the deployment is ending (`s.ending`), in a non-cancellable scope: delete a saved plan, abort a
 * running one and follow it to its end; if LifeTime refuses the abort, say so and follow on. Returns the ending,
 * or the continue-as-new sentinel when following the aborted plan outgrows a run (the next run resumes following).
 */
export async function cleanUp(d: Deployment, resumed = false): Promise<Ended> {
  const { s } = d;
  const key = s.deploymentKey;
  const ending = s.ending!;
  if (!key || s.planDeleted) {
    s.cleanup ??= 'nothing to clean up in LifeTime';
    return ending;
  }
  if (s.lifetimeStatus && isTerminalStatus(s.lifetimeStatus)) return ending; // the plan has ended: nothing to undo
  if (ending === 'failed' && s.timings.startedAt) {
    // A failure is not a decision: a started plan is aborted only on reject, cancel, the deadline or a policy.
    s.cleanup = `plan ${key} left to LifeTime as it was (last known status ${s.lifetimeStatus}); it was not aborted`;
    return ending;
  }
  try {
    if (!resumed) {
      d.step('cleanup');
      const st = await d.patiently('status before cleanup', () =>
        readStatus(d, { local: false, summary: `Status of ${key} before cleanup`, poll: false }),
      );
      if (st.status === 'saved' && !s.timings.startedAt) {
        await deletePlan(d);
        return ending;
      }
      if (isTerminalStatus(st.status)) {
        s.cleanup = `plan ${key} had already ended (${st.status})`;
        return ending;
      }
      if (ending === 'failed') {
        // Started after all (e.g. a start whose replies were all lost): a failure is not a decision to abort.
        s.cleanup = `plan ${key} left to LifeTime as it was (${st.status}); it was not aborted`;
        return ending;
      }
      if (s.planOwned === false && d.req.policies.operatorPlanOnStop === 'leave') {
        s.cleanup = `plan ${key} left as it was: ${st.status} (built in LifeTime; operatorPlanOnStop is "leave")`;
        return ending;
      }
      if (st.status !== 'aborting') {
        const r = await sendCommand(d, 'abort');
        if (r.reconciled) addNote(s, r.reconciled);
        if (!r.accepted) addNote(s, `LifeTime refused abort (past the point of no return?): ${r.refusal}`);
        s.cleanup = r.accepted
          ? `abort sent to plan ${key}`
          : `abort refused by LifeTime: ${r.refusal}; followed the plan to its end`;
      }
    }
    return await followAborted(d);
  } catch (err) {
    s.cleanup = `cleanup failed for plan ${key}: ${failureOf(err).message} (outcome ${ending})`;
    return ending;
  }
}

/** Follows an aborted (or abort-refusing) plan to its end. */
async function followAborted(d: Deployment): Promise<Ended> {
  const { s } = d;
  const end = await followPlan(d, {
    kind: 'abort',
    atIntervention: async () => {
      const again = await sendCommand(d, 'abort');
      if (again.reconciled) addNote(s, again.reconciled);
      if (!again.accepted) s.cleanup = `${s.cleanup}; plan waits for user intervention in LifeTime and refused abort`;
      return again.accepted;
    },
  });
  if (end === CONTINUE_AS_NEW) return end;
  if (end !== 'stopped') s.cleanup = `${s.cleanup ?? ''}; plan ended ${end}`.replace(/^; /, '');
  return s.ending!;
}
