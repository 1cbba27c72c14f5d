/** The workflow's state: its start, the log buffer, and the result made from it. Deterministic code only. */
import {
  LIMITS,
  type DeployRequest,
  type DeployResult,
  type DeployState,
  type LogLine,
  type Outcome,
} from './messages';

export const LOG_TAIL = 50;

export function initialState(req: Pick<DeployRequest, 'requestedBy'>, now: Date): DeployState {
  return {
    step: 'resolve-environments',
    requestedBy: req.requestedBy,
    applications: [],
    decisions: [],
    log: [],
    logCount: 0,
    polls: 0,
    notes: [],
    timings: { requestedAt: now.toISOString() },
    runs: 0,
  };
}

/** A text cut to `max` characters, saying how long it was. */
export function clip(text: string, max: number = LIMITS.text): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/** Adds a note (clipped); past LIMITS.notesKept notes, the last one counts those dropped. */
export function addNote(s: DeployState, note: string): void {
  if (s.notes.length < LIMITS.notesKept) s.notes.push(clip(note));
  else {
    s.notesDropped = (s.notesDropped ?? 0) + 1;
    s.notes[LIMITS.notesKept - 1] = `(${s.notesDropped + 1} later notes dropped; the first ones are kept)`;
  }
}

export function appendLog(s: DeployState, lines: LogLine[]): void {
  if (lines.length === 0) return;
  s.log.push(...lines.slice(-LOG_TAIL).map((l) => ({ ...l, message: clip(l.message) })));
  s.logCount += lines.length;
  if (s.log.length > LOG_TAIL) s.log.splice(0, s.log.length - LOG_TAIL);
}

export function toResult(s: DeployState, outcome: Outcome, now: Date): DeployResult {
  const requested = Date.parse(s.timings.requestedAt);
  const started = s.timings.startedAt ? Date.parse(s.timings.startedAt) : undefined;
  return {
    outcome,
    ...(s.requester ? { requester: s.requester } : {}),
    lifetimeStatus: s.lifetimeStatus,
    planDeleted: s.planDeleted,
    ...(s.planOwned === false ? { planOwned: false } : {}),
    deploymentKey: s.deploymentKey,
    detailsUrl: s.detailsUrl,
    source: s.source,
    target: s.target,
    applications: s.applications,
    log: s.log,
    logCount: s.logCount,
    decisions: s.decisions,
    ignoredNotKept: s.ignoredNotKept,
    polls: s.polls,
    notes: s.notes,
    cleanup: s.cleanup,
    failure: s.failure,
    ...(s.notifications ? { notifications: s.notifications } : {}),
    durations: {
      totalSeconds: Math.round((now.getTime() - requested) / 1000),
      deploymentSeconds: started !== undefined ? Math.round((now.getTime() - started) / 1000) : undefined,
    },
    timings: s.timings,
  };
}
