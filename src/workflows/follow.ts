/**
 * The one way to follow a plan to its end: status polls on durable timers with an adaptive interval, the log
 * collected as it grows, `needs_user_intervention` handed to the caller, and continue-as-new before history grows
 * past its limit. The deployment follows its plan with it (step 6), and so does the cleanup after an abort.
 */
import { patched, sleep } from '@temporalio/workflow';
import { isTerminalStatus, type TerminalStatus } from '../lifetime/schemas';
import { act, LOCAL_STATUS_POLL, localPolls, polls } from './activity-proxies';
import { CONTINUE_AS_NEW, type Deployment } from './deployment';
import { addNote, appendLog } from './state';

/**
 * patched() id: the plan is followed after an abort by the same loop as during the deployment, with local-activity
 * polls. Histories recorded before it followed an aborted plan with regular activities.
 */
export const FOLLOW_ABORT_LOCAL = 'follow-abort-local-activity';

/** Log lines of the last phase of a deployment: poll at the shortest interval from here on. */
const FINAL_PHASE = /Synchronizing data|Updating application versions|Deploy completed/i;

export interface FollowMode {
  /** `deploy`: following our started plan (step 6); `abort`: following it to its end after an abort. */
  kind: 'deploy' | 'abort';
  /**
   * At `needs_user_intervention`: act on it; false stops following (the plan is left waiting in LifeTime), the
   * sentinel continues-as-new (a gate outgrew the run).
   */
  atIntervention(info: string): Promise<boolean | typeof CONTINUE_AS_NEW>;
}

export type FollowEnd = TerminalStatus | 'stopped' | typeof CONTINUE_AS_NEW;

/**
 * Reads the plan's status once and keeps what it says (status, Info, new log lines) in the state. A poll is
 * counted and shown at once; a plain read is shown by the step that follows it.
 */
export async function readStatus(d: Deployment, how: { local: boolean; summary: string; poll: boolean }) {
  const s = d.s;
  const input = { key: s.deploymentKey!, logFrom: s.logCount };
  const st = how.local
    ? await act.localPolls.getStatus.executeWithOptions({ ...localPolls, summary: how.summary }, [input])
    : await act.polls.getStatus.executeWithOptions({ ...polls, summary: how.summary }, [input]);
  if (how.poll) s.polls += 1;
  const changed = st.status !== s.lifetimeStatus || st.info !== (s.info ?? '');
  s.lifetimeStatus = st.status;
  s.info = st.info || undefined;
  appendLog(s, st.newLog);
  if (how.poll && (changed || st.newLog.length)) d.vis.update();
  return st;
}

/** Polls the plan until it ends, the caller stops at an intervention, or history asks for continue-as-new. */
export async function followPlan(d: Deployment, mode: FollowMode): Promise<FollowEnd> {
  const { s, req } = d;
  const p = req.policies.polling;
  let interval = mode.kind === 'deploy' && s.polls === 0 ? p.firstPollSeconds : p.minIntervalSeconds;
  d.step(mode.kind === 'abort' || s.step === 'aborting' ? 'aborting' : 'polling');
  for (;;) {
    if (d.shouldContinueAsNew()) return CONTINUE_AS_NEW;
    await sleep(Math.round(interval * 1000), { summary: 'wait before the next status poll' });
    const local = patched(LOCAL_STATUS_POLL) && (mode.kind === 'deploy' || patched(FOLLOW_ABORT_LOCAL));
    let st;
    try {
      st = await readStatus(d, { local, summary: `Poll status of ${s.deploymentKey}`, poll: true });
    } catch (err) {
      d.unreadable('status', err); // our read failed: waited out, never decided on
      interval = Math.min(p.maxIntervalSeconds, interval * p.backoff);
      continue;
    }
    d.readable();
    if (st.status !== 'needs_user_intervention') leftIntervention(d);
    if (isTerminalStatus(st.status)) return st.status;
    switch (st.status) {
      case 'saved':
        // Started but not running yet: never success. Poll soon, backing off if it stays saved.
        interval = Math.min(p.maxIntervalSeconds, interval * p.backoff);
        break;
      case 'aborting':
        interval = p.minIntervalSeconds;
        break;
      case 'running': {
        const last = s.log[s.log.length - 1]?.message ?? '';
        interval = FINAL_PHASE.test(last) ? p.minIntervalSeconds : Math.min(p.maxIntervalSeconds, interval * p.backoff);
        break;
      }
      case 'needs_user_intervention': {
        const next = await mode.atIntervention(st.info);
        if (next === CONTINUE_AS_NEW) return next;
        if (!next) return 'stopped';
        interval = p.minIntervalSeconds;
        break;
      }
    }
  }
}

/** The plan is past its intervention (a command of ours took effect, or someone answered in LifeTime). */
function leftIntervention(d: Deployment): void {
  d.s.pendingCommand = undefined;
  if (d.s.gate?.kind === 'intervention') {
    addNote(d.s, `the intervention gate closed: LifeTime moved on to ${d.s.lifetimeStatus}`);
    d.gates.close();
  }
}
