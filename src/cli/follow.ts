/**
 * Follows a deployment as it happens: the step, the LifeTime status, each new deployment log line, and at a
 * gate the exact commands to approve or reject. Human progress goes to stderr; the result (with --json) to stdout.
 */
import { stateQuery, type DeployResult, type DeployState } from '../workflows/messages';
import { answerCommands } from '../workflows/presentation';
import type { CliContext, Io } from './common';

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
    ...answerCommands(workflowId).map((c) => `   ${`${c.where}:`.padEnd(9)}${c.command}`),
  ];
}

export function resultLines(r: DeployResult): string[] {
  const lines = [
    `outcome: ${r.outcome}${r.lifetimeStatus ? ` (LifeTime: ${r.lifetimeStatus})` : ''}${r.deploymentKey ? `, plan ${r.deploymentKey}` : ''}`,
  ];
  if (r.cleanup) lines.push(`cleanup: ${r.cleanup}`);
  if (r.failure) lines.push(`failure (${r.failure.type}): ${r.failure.message}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push(`${r.polls} status polls, ${r.durations.totalSeconds} s in all`);
  return lines;
}

/** Prints progress until the workflow ends; returns its result (throws WorkflowFailedError on failure). */
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
  const interval = opts.intervalMs ?? 1000;
  while (!done) {
    let s: DeployState | undefined;
    try {
      s = await handle.query(stateQuery);
    } catch {
      s = undefined; // not yet queryable (no worker yet) or just finished
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
      const unreadable = s.unreadable ? `${s.unreadable.attempts}` : '';
      if (unreadable !== lastUnreadable) {
        if (s.unreadable)
          io.err(
            `  ⚠ LifeTime unreadable (try ${s.unreadable.attempts}, since ${s.unreadable.since}): ${s.unreadable.error}; retrying, the plan is not touched`,
          );
        else if (lastUnreadable) io.err('  LifeTime readable again');
        lastUnreadable = unreadable;
      }
      for (const d of s.decisions.slice(lastDecisions)) {
        io.err(
          `  decision: ${d.decision} by ${d.by}${d.reason ? ` (${d.reason})` : ''} → ${d.applied ? 'applied' : `ignored: ${d.ignored}`}`,
        );
      }
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
