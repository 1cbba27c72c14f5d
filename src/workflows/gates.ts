/**
 * Gates: the one mechanism for every decision a deployment waits on. A gate is decided by a policy (at once), by a
 * person (signals `approve` / `reject`) or by the gate deadline; all three go through `record`, so each decision is
 * logged, kept in the state and shown in the UI the same way. A person's decision applies only to the gate open
 * when it arrives; stray, unauthorised and self decisions are recorded and ignored, never carried into a later gate.
 */
import { condition, log } from '@temporalio/workflow';
import { describeIssues } from './describe-issues';
import {
  DecisionPayload,
  type DecisionRecord,
  type DeployRequest,
  type DeployState,
  type GateKind,
  type GateView,
} from './messages';
import type { Visibility } from './visibility';

export type Decision = 'approve' | 'reject';

export interface GateSpec {
  kind: GateKind;
  reason: string;
  info?: string;
  conflicts?: string[];
  onApprove: string;
  onReject: string;
  /** A policy that decides without asking anyone (the reason names the policy). */
  policy?: { decision: Decision; reason: string };
}

export class Gates {
  private nextId = 1;
  private pending?: DecisionRecord;

  constructor(
    private readonly req: DeployRequest,
    private readonly s: DeployState,
    private readonly vis: Visibility,
  ) {
    this.nextId = s.decisions.reduce((m, d) => Math.max(m, (d.gateId ?? 0) + 1), 1);
  }

  /** Signal handler body: validate, check authority, record; apply only to the open gate. */
  receive(decision: Decision, raw: unknown): void {
    const at = new Date().toISOString();
    const parsed = DecisionPayload.safeParse(raw);
    if (!parsed.success) {
      const by =
        raw && typeof raw === 'object' && typeof (raw as { by?: unknown }).by === 'string'
          ? (raw as { by: string }).by
          : '?';
      this.record({
        decision,
        by,
        at,
        applied: false,
        ignored: `invalid payload: ${describeIssues(parsed.error.issues)}`,
      });
      return;
    }
    const { by, reason } = parsed.data;
    const gate = this.s.gate;
    const base: DecisionRecord = { decision, by, reason, at, applied: false, gateId: gate?.id, gate: gate?.kind };
    const ignored = this.whyIgnored(decision, by);
    if (ignored) this.record({ ...base, ignored });
    else this.pending = this.record({ ...base, applied: true });
  }

  /** Why a person's decision cannot apply now (undefined: it applies to the open gate). */
  private whyIgnored(decision: Decision, by: string): string | undefined {
    if (!this.s.gate) return 'no gate open';
    if (this.pending) return 'the gate was already decided';
    const { approvers, allowSelfApproval } = this.req.policies;
    if (approvers.length > 0 && !approvers.includes(by)) {
      return `not allowed: ${by} is not on the approver list (${approvers.join(', ')})`;
    }
    if (decision === 'approve' && by === this.req.requestedBy && !allowSelfApproval) {
      return `not allowed: self-approval (${by} requested this deployment)`;
    }
    return undefined;
  }

  /** The one way a decision is kept: in the state, in the log and in the UI. */
  private record(d: DecisionRecord): DecisionRecord {
    this.s.decisions.push(d);
    if (d.applied) log.info('decision applied', { decision: d.decision, by: d.by, gate: d.gate });
    else log.warn('decision ignored', { decision: d.decision, by: d.by, why: d.ignored });
    this.vis.update();
    return d;
  }

  /**
   * Decides a gate: by its policy at once, else opens it and waits for a person or the gate deadline. The
   * deployment deadline cancels the surrounding scope, so it surfaces as a cancellation, not here.
   */
  async decide(spec: GateSpec): Promise<Decision> {
    if (spec.policy) {
      const { decision, reason } = spec.policy;
      const at = new Date().toISOString();
      this.record({ decision, by: 'policy', reason, at, gate: spec.kind, applied: true, automatic: true });
      return decision;
    }
    const { timeoutMinutes, onTimeout } = this.req.policies.gate;
    const openedAt = new Date();
    const timeoutMs = Math.round(timeoutMinutes * 60_000);
    const view: GateView = {
      id: this.nextId++,
      kind: spec.kind,
      reason: spec.reason,
      info: spec.info,
      conflicts: spec.conflicts,
      onApprove: spec.onApprove,
      onReject: spec.onReject,
      openedAt: openedAt.toISOString(),
      deadline: new Date(openedAt.getTime() + timeoutMs).toISOString(),
      onTimeout: `${onTimeout} automatically (${onTimeout === 'approve' ? spec.onApprove : spec.onReject})`,
    };
    this.pending = undefined;
    this.s.gate = view;
    this.vis.step(spec.kind === 'conflicts' ? 'conflict-gate' : 'intervention-gate');
    try {
      const decided = await condition(() => this.pending !== undefined, timeoutMs, {
        summary: `${spec.kind} gate deadline`,
      });
      const pending = this.pending as DecisionRecord | undefined; // set by a signal handler meanwhile
      if (decided && pending) return pending.decision;
      this.record({
        decision: onTimeout,
        by: 'gate deadline',
        reason: `no decision within ${timeoutMinutes} min`,
        at: new Date().toISOString(),
        gateId: view.id,
        gate: view.kind,
        applied: true,
        automatic: true,
      });
      return onTimeout;
    } finally {
      this.s.gate = undefined;
      this.pending = undefined;
      this.vis.update();
    }
  }
}
