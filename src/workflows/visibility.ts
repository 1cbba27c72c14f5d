/**
 * What the Temporal UI shows of a deployment: search attributes kept in step with the state, and the markdown
 * "current details" (where it is, what a person can do). Deterministic code only.
 */
import { log, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { DeployRequest, DeployState, Step } from './messages';
import { answerCommands, STEP_TEXT, summaryLine } from './presentation';
import { searchAttributes as sa } from './search-attributes';
import { windowLines } from '../windows/text';

/** Markdown for the Temporal UI's "current details": where the deployment is and what a person can do. */
export function detailsText(req: DeployRequest, s: DeployState): string {
  const id = workflowInfo().workflowId;
  const lines = [`**${summaryLine(req, s)}**`, '', `Step: ${STEP_TEXT[s.step]}`];
  if (s.deploymentKey) lines.push(`Plan: \`${s.deploymentKey}\`${s.planDeleted ? ' (deleted)' : ''}`);
  if (s.detailsUrl) lines.push(`In LifeTime: ${s.detailsUrl}`);
  if (s.lifetimeStatus) lines.push(`LifeTime status: \`${s.lifetimeStatus}\`${s.info ? ` (${s.info})` : ''}`);
  if (s.window && !s.outcome) lines.push(...windowLines(s.window, Date.now(), s.step === 'wait-for-window'));
  if (s.polls) lines.push(`Status polls: ${s.polls}`);
  if (s.unreadable) {
    const min = Math.round((Date.now() - Date.parse(s.unreadable.since)) / 60_000);
    lines.push(
      `**LifeTime unreadable** for ${min} min (${s.unreadable.attempts} tries; retrying; the plan is not touched): ` +
        s.unreadable.error,
    );
  }
  if (s.targetUnavailable)
    lines.push(`**Target unavailable** since ${s.targetUnavailable.since}: ${s.targetUnavailable.reason}`);
  if (s.planOwned === false) lines.push('Plan built in LifeTime (not by this deployment): never deleted by it');
  const last = s.log[s.log.length - 1];
  if (last) lines.push(`Last log line: ${last.message}`);
  if (s.gate) {
    const g = s.gate;
    lines.push(
      '',
      `### Decision needed (${g.kind} gate)`,
      g.reason,
      ...(g.conflicts?.length ? ['', ...g.conflicts.map((c) => `- ${c}`)] : []),
      '',
      `Approve: ${g.onApprove}. Reject: ${g.onReject}.`,
      `Deadline: ${g.deadline}; then: ${g.onTimeout}.`,
      '',
      'To approve (or reject), send the signal `approve` (or `reject`) with input `{"by": "<your name>", "reason": "…"}`:',
      '',
      ...answerCommands(id).map((c) => `- ${c.where}: \`${c.command}\``),
    );
  }
  if (s.outcome) lines.push('', `Outcome: **${s.outcome}**${s.cleanup ? ` (${s.cleanup})` : ''}`);
  if (s.failure) lines.push(`Failure (${s.failure.type}): ${s.failure.message}`);
  return lines.join('\n');
}

/** Keeps search attributes in step with the state; upserts only what changed. */
export class Visibility {
  private last = new Map<string, string>();

  constructor(
    private readonly req: DeployRequest,
    private readonly s: DeployState,
  ) {}

  update(): void {
    const s = this.s;
    const pairs: SearchAttributePair[] = [];
    const put = (pair: SearchAttributePair, encoded: string) => {
      if (this.last.get(pair.key.name) !== encoded) {
        this.last.set(pair.key.name, encoded);
        pairs.push(pair);
      }
    };
    // The status attribute says `deleted` once our plan is gone, `none` before there is one.
    const status = s.planDeleted ? 'deleted' : (s.lifetimeStatus ?? 'none');
    put({ key: sa.status, value: status }, status);
    put({ key: sa.gate, value: s.gate?.kind ?? 'none' }, s.gate?.kind ?? 'none');
    if (s.deploymentKey) put({ key: sa.deploymentKey, value: s.deploymentKey }, s.deploymentKey);
    if (s.source) put({ key: sa.source, value: s.source.name }, s.source.name);
    if (s.target) put({ key: sa.target, value: s.target.name }, s.target.name);
    if (s.applications.length) {
      const names = s.applications.map((a) => a.name);
      put({ key: sa.applications, value: names }, names.join('\u0000'));
    }
    put({ key: sa.requestedBy, value: s.requestedBy }, s.requestedBy);
    if (s.outcome) put({ key: sa.outcome, value: s.outcome }, s.outcome);
    if (pairs.length && this.req.searchAttributes) upsertSearchAttributes(pairs);
    setCurrentDetails(detailsText(this.req, s));
  }

  step(step: Step): void {
    this.s.step = step;
    log.info('step', { step, deploymentKey: this.s.deploymentKey });
    this.update();
  }
}
