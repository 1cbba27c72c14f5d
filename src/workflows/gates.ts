/**
 * Gates: a durable pause until a person decides (signals `approve` / `reject`) or the gate deadline passes.
 * A decision applies only to the gate open when it arrives; stray, unauthorised and self decisions are
 * recorded and ignored, never carried into a later gate.
 */
import { condition, log } from '@temporalio/workflow';
import {
  DecisionPayload,
  describeIssues,
  type DecisionRecord,
  type DeployRequest,
  type DeployState,
  type GateKind,
  type GateView,
} from './messages';
import type { Visibility } from './state';

export interface GateSpec {
  kind: GateKind;
  reason: string;
  info?: string;
  conflicts?: string[];
  onApprove: string;
  onReject: string;
}

export interface GateResult {
  decision: 'approve' | 'reject';
  automatic: boolean;
  record: DecisionRecord;
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
  decide(decision: 'approve' | 'reject', raw: unknown): void {
    const at = new Date().toISOString();
    const parsed = DecisionPayload.safeParse(raw);
    if (!parsed.success) {
      const by =
        raw && typeof raw === 'object' && typeof (raw as { by?: unknown }).by === 'string'
          ? (raw as { by: string }).by
          : '?';
      this.record({ decision, by, at, applied: false, ignored: `invalid payload: ${describeIssues(parsed.error)}` });
      return;
    }
    const { by, reason } = parsed.data;
    const gate = this.s.gate;
    const base: DecisionRecord = { decision, by, reason, at, applied: false, gateId: gate?.id, gate: gate?.kind };
    if (!gate) return this.record({ ...base, ignored: 'no gate open' });
    if (this.pending) return this.record({ ...base, ignored: 'the gate was already decided' });
    const { approvers, allowSelfApproval } = this.req.policies;
    if (approvers.length > 0 && !approvers.includes(by)) {
      return this.record({
        ...base,
        ignored: `not allowed: ${by} is not on the approver list (${approvers.join(', ')})`,
      });
    }
    if (decision === 'approve' && by === this.req.requestedBy && !allowSelfApproval) {
      return this.record({ ...base, ignored: `not allowed: self-approval (${by} requested this deployment)` });
    }
    this.pending = { ...base, applied: true };
    this.record(this.pending);
  }

  private record(d: DecisionRecord): void {
    this.s.decisions.push(d);
    if (d.applied) log.info('decision applied', { decision: d.decision, by: d.by, gate: d.gate });
    else log.warn('decision ignored', { decision: d.decision, by: d.by, why: d.ignored });
    this.vis.update();
  }

  /**
   * Opens a gate and waits for a decision, the gate deadline, or the (earlier) deployment deadline. The
   * deployment deadline cancels the surrounding scope, so it surfaces as a cancellation, not here.
   */
  async wait(spec: GateSpec): Promise<GateResult> {
    const { timeoutMinutes, onTimeout } = this.req.policies.gate;
    const openedAt = new Date();
    const timeoutMs = Math.round(timeoutMinutes * 60_000);
    const view: GateView = {
      id: this.nextId++,
      ...spec,
      openedAt: openedAt.toISOString(),
      deadline: new Date(openedAt.getTime() + timeoutMs).toISOString(),
      onTimeout:
        onTimeout === 'approve'
          ? `approve automatically (${spec.onApprove})`
          : `reject automatically (${spec.onReject})`,
    };
    this.pending = undefined;
    this.s.gate = view;
    this.vis.step(spec.kind === 'conflicts' ? 'conflict-gate' : 'intervention-gate');
    try {
      const decided = await condition(() => this.pending !== undefined, timeoutMs, {
        summary: `${spec.kind} gate deadline`,
      });
      const pending = this.pending as DecisionRecord | undefined; // set by a signal handler meanwhile
      if (decided && pending) return { decision: pending.decision, automatic: false, record: pending };
      const record: DecisionRecord = {
        decision: onTimeout,
        by: 'gate deadline',
        reason: `no decision within ${timeoutMinutes} min`,
        at: new Date().toISOString(),
        gateId: view.id,
        gate: view.kind,
        applied: true,
        automatic: true,
      };
      this.record(record);
      return { decision: onTimeout, automatic: true, record };
    } finally {
      this.s.gate = undefined;
      this.pending = undefined;
      this.vis.update();
    }
  }
}
