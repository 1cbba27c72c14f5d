/**
 * The workflow's visible state: the `state` query, search attributes, the current details shown in the
 * Temporal UI, and the log buffer. Deterministic code only.
 */
import { log, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import {
  summaryLine,
  type DeployRequest,
  type DeployResult,
  type DeployState,
  type LogLine,
  type Outcome,
  type Step,
} from './messages';
import { searchAttributes as sa } from './search-attributes';

export const LOG_TAIL = 50;

export function initialState(req: DeployRequest, now: Date): DeployState {
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

export function appendLog(s: DeployState, lines: LogLine[]): void {
  if (lines.length === 0) return;
  s.log.push(...lines);
  s.logCount += lines.length;
  if (s.log.length > LOG_TAIL) s.log.splice(0, s.log.length - LOG_TAIL);
}

const STEP_TEXT: Record<Step, string> = {
  'resolve-environments': 'Resolving the source and target environments',
  'resolve-versions': 'Resolving the application versions to deploy',
  'create-plan': 'Creating the deployment plan in LifeTime',
  'check-conflicts': 'Checking the plan for conflicts',
  'conflict-gate': 'Waiting for a decision: the plan has conflicts',
  start: 'Starting the deployment plan',
  'wait-for-target': 'Waiting for the target environment to be free',
  polling: 'Deploying: following the plan in LifeTime',
  'intervention-gate': 'Waiting for a decision: LifeTime needs user intervention',
  aborting: 'Aborting the plan in LifeTime',
  cleanup: 'Cleaning up in LifeTime',
  done: 'Finished',
};

/** Markdown for the Temporal UI's "current details": where the deployment is and what a person can do. */
export function detailsText(req: DeployRequest, s: DeployState): string {
  const id = workflowInfo().workflowId;
  const lines = [`**${summaryLine(req, s)}**`, '', `Step: ${STEP_TEXT[s.step]}`];
  if (s.deploymentKey) lines.push(`Plan: \`${s.deploymentKey}\``);
  if (s.lifetimeStatus) lines.push(`LifeTime status: \`${s.lifetimeStatus}\`${s.info ? ` (${s.info})` : ''}`);
  if (s.polls) lines.push(`Status polls: ${s.polls}`);
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
      `- CLI: \`lifetime-deploy approve ${id} --by <your name>\``,
      `- Temporal CLI: \`temporal workflow signal --workflow-id ${id} --name approve --input '{"by":"<your name>"}'\``,
      '- Temporal UI: "Send a Signal" on this page, signal name `approve`, the input above.',
    );
  }
  if (s.outcome) lines.push('', `Outcome: **${s.outcome}**${s.cleanup ? ` (${s.cleanup})` : ''}`);
  if (s.error) lines.push(`Error: ${s.error}`);
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
    put({ key: sa.status, value: s.lifetimeStatus ?? 'none' }, s.lifetimeStatus ?? 'none');
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

export function toResult(s: DeployState, outcome: Outcome, now: Date): DeployResult {
  const requested = Date.parse(s.timings.requestedAt);
  const started = s.timings.startedAt ? Date.parse(s.timings.startedAt) : undefined;
  return {
    outcome,
    lifetimeStatus: s.lifetimeStatus,
    deploymentKey: s.deploymentKey,
    source: s.source,
    target: s.target,
    applications: s.applications,
    log: s.log,
    logCount: s.logCount,
    decisions: s.decisions,
    polls: s.polls,
    notes: s.notes,
    cleanup: s.cleanup,
    error: s.error,
    durations: {
      totalSeconds: Math.round((now.getTime() - requested) / 1000),
      deploymentSeconds: started !== undefined ? Math.round((now.getTime() - started) / 1000) : undefined,
    },
    timings: s.timings,
  };
}
