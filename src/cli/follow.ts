/**
 * Follows a deployment as it happens: the step, the LifeTime status, each new deployment log line, and at a
 * gate the exact commands to approve or reject. Human progress goes to stderr; the result (with --json) to stdout.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { DecisionRecord, DeployResult, DeployState } from '../workflows/messages';
import { answerCommands } from '../workflows/presentation';
import { windowLines } from '../windows/text';
import { queryState, warnIfNoWorker, type CliContext, type Io } from './common';

export interface FollowOptions {
  json?: boolean;
  intervalMs?: number;
}

export function gateInstructions(workflowId: string, state: DeployState): string[] {
  const g = state.gate;
  if (!g) return [];
  return [
    `⏸  ${g.kind} gate open: ${g.reason}`,
    ...(g.conflicts ?? []).map((c) => `     - ${c}`),
    `   approve → ${g.onApprove}; reject → ${g.onReject}; at ${g.deadline}: ${g.onTimeout}`,
    ...(state.detailsUrl ? [`   in LifeTime: ${state.detailsUrl}`] : []),
    ...answerCommands(workflowId).map((c) => `   ${`${c.where}:`.padEnd(8)} ${c.command}`),
  ];
}

export function resultLines(r: DeployResult): string[] {
  const lines = [
    `outcome: ${r.outcome}${r.lifetimeStatus ? ` (LifeTime: ${r.lifetimeStatus})` : ''}${r.deploymentKey ? `, plan ${r.deploymentKey}` : ''}`,
  ];
  if (r.requester) lines.push(`requested by ${r.requester.principal} [signed, key ${r.requester.fingerprint}]`);
  if (r.detailsUrl) lines.push(`in LifeTime: ${r.detailsUrl}`);
  if (r.cleanup) lines.push(`cleanup: ${r.cleanup}`);
  if (r.failure) lines.push(`failure (${r.failure.type}): ${r.failure.message}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push(`${r.polls} status polls, ${r.durations.totalSeconds} s in all`);
  return lines;
}

/** The activities being retried, as `LifeTime call resolveEnvironments failing: … (attempt 3, next try in 8 s)`. */
async function retryingCalls(handle: WorkflowHandle): Promise<string> {
  const desc = await handle.describe();
  return (desc.raw.pendingActivities ?? [])
    .filter((a) => (a.attempt ?? 1) > 1 && a.lastFailure)
    .map((a) => {
      const next = a.nextAttemptScheduleTime?.seconds
        ? Math.max(0, Math.round(Number(a.nextAttemptScheduleTime.seconds) - Date.now() / 1000))
        : undefined;
      const cause = a.lastFailure?.cause?.message ?? a.lastFailure?.message ?? 'unknown error';
      return `⟳ LifeTime call ${a.activityType?.name ?? '?'} failing: ${cause} (attempt ${a.attempt}${
        next !== undefined ? `, next try in ${next} s` : ''
      })`;
    })
    .join('; ');
}

/** Prints progress until the workflow ends; returns its result (throws WorkflowFailedError on failure). */
/**
 * One line for a recorded decision, as `status --follow`, `deploy --wait` and `promote --wait` print it: who, what,
 * why, whether it counted, and for a verified signed decision the verified principal and the key's fingerprint.
 */
export function decisionLine(d: DecisionRecord): string {
  const signed = d.signature?.verified
    ? ` [signed by ${d.signature.principal ?? d.by}${d.signature.fingerprint ? `, key ${d.signature.fingerprint}` : ''}]`
    : '';
  return `  decision: ${d.decision} by ${d.by}${d.reason ? ` (${d.reason})` : ''}${signed} → ${d.applied ? 'applied' : `ignored: ${d.ignored}`}`;
}

export async function follow(
  ctx: CliContext,
  workflowId: string,
  io: Io,
  opts: FollowOptions = {},
): Promise<DeployResult> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  const resultPromise = handle.result() as Promise<DeployResult>;
  let done = false;
  resultPromise.then(
    () => (done = true),
    () => (done = true),
  );
  let lastStep = '';
  let lastStatus = '';
  let seenLog = 0;
  let lastGate = 0;
  let lastDecisions = 0;
  let lastUnreadable = '';
  let lastUnavailable = '';
  let lastWindow = '';
  const interval = opts.intervalMs ?? 1000;
  let lastRetry = '';
  let checkedWorker = false;
  let lastDescribe = 0;
  while (!done) {
    // Not queryable: no worker yet, or the deployment just finished.
    const s: DeployState | undefined = await queryState(ctx, handle, 3000).catch(() => undefined);
    if (!s && !checkedWorker && !done) {
      checkedWorker = true;
      await warnIfNoWorker(ctx, io);
    }
    if (Date.now() - lastDescribe >= 3000 && !done) {
      // LifeTime calls being retried (the activity's attempts), with their cause: no silent waits.
      lastDescribe = Date.now();
      const retry = await retryingCalls(handle).catch(() => '');
      if (retry && retry !== lastRetry) io.err(`  ${retry}`);
      lastRetry = retry;
    }
    if (s) {
      if (s.step !== lastStep) {
        io.err(`▶ ${s.step}${s.deploymentKey ? ` (plan ${s.deploymentKey})` : ''}`);
        lastStep = s.step;
      }
      const status = `${s.lifetimeStatus ?? ''}${s.info ? ` / ${s.info}` : ''}`;
      if (s.lifetimeStatus && status !== lastStatus) {
        io.err(`  LifeTime status: ${status}`);
        lastStatus = status;
      }
      if (s.logCount > seenLog) {
        const fresh = s.log.slice(Math.max(0, s.log.length - (s.logCount - seenLog)));
        for (const l of fresh) io.err(`  │ ${l.type && l.type !== 'Info' ? `[${l.type}] ` : ''}${l.message}`);
        seenLog = s.logCount;
      }
      // The deployment window: when the wait for it begins, and each time it moves to a later window (and why).
      const window = s.window && s.step === 'wait-for-window' ? `${s.window.opensAt}|${s.window.reason ?? ''}` : '';
      if (window && window !== lastWindow) for (const l of windowLines(s.window!, Date.now(), true)) io.err(`  ${l}`);
      lastWindow = window;
      const unreadable = s.unreadable ? `${s.unreadable.attempts}` : '';
      if (unreadable !== lastUnreadable) {
        if (s.unreadable)
          io.err(
            `  ⚠ LifeTime unreadable (try ${s.unreadable.attempts}, since ${s.unreadable.since}): ${s.unreadable.error}; retrying, the plan is not touched`,
          );
        else if (lastUnreadable) io.err('  LifeTime readable again');
        lastUnreadable = unreadable;
      }
      const unavailable = s.targetUnavailable?.reason ?? '';
      if (unavailable !== lastUnavailable) {
        if (unavailable) io.err(`  ⏸ ${unavailable}; waiting (busy-target policy)`);
        else if (lastUnavailable) io.err('  target available again');
        lastUnavailable = unavailable;
      }
      for (const d of s.decisions.slice(lastDecisions)) io.err(decisionLine(d));
      lastDecisions = s.decisions.length;
      if (s.gate && s.gate.id !== lastGate) {
        for (const line of gateInstructions(workflowId, s)) io.err(line);
        lastGate = s.gate.id;
      }
    }
    await Promise.race([resultPromise.catch(() => undefined), new Promise((r) => setTimeout(r, interval))]);
  }
  const result = await resultPromise;
  // Log lines that arrived with the last poll, after our last look at the state.
  const missed = result.logCount - seenLog;
  if (!opts.json && missed > 0) {
    for (const l of result.log.slice(Math.max(0, result.log.length - missed))) io.err(`  │ ${l.message}`);
  }
  if (!opts.json && result.lifetimeStatus && result.lifetimeStatus !== lastStatus.split(' / ')[0]) {
    io.err(`  LifeTime status: ${result.lifetimeStatus}`);
  }
  if (opts.json) io.out(JSON.stringify({ workflowId, ...result }));
  else for (const line of resultLines(result)) io.out(line);
  return result;
}
