/**
 * Gates: the one mechanism for every decision a deployment waits on. A gate is decided by a policy (at once), by a
 * person (signals `approve` / `reject`) or by the gate deadline; all three go through `record`, so each decision is
 * logged, kept in the state and shown in the UI the same way. A person's decision applies only to the gate open
 * when it arrives; stray, unauthorised and self decisions are recorded and ignored, never carried into a later gate.
 */
import { allHandlersFinished, condition, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { verify } from './activity-proxies';
import { CONTINUE_AS_NEW } from './continue-as-new';
import { describeIssues } from './describe-issues';
import {
  approveSignal,
  approveUpdate,
  rejectSignal,
  rejectUpdate,
  LIMITS,
  sameName,
  type DecisionRecord,
  type GateKind,
  type GateView,
  type MissingMapping,
  type Policies,
} from './messages';
import { notifyGate, type Notifier } from './notifier';
import { SignedDecisionPayload, type Verification } from './signed-decision';
import { clip } from './state';

/** patched() id: decisions may be signed, and are verified in the worker. */
export const SIGNED_DECISIONS = 'signed-decisions';
/**
 * patched() id: under `signatures: auto` a gate asks the worker whether it has an allowed-approvers file before it
 * opens (before: at the first decision), so the first unsigned Update is refused like the next ones, also after a
 * worker restart (the answer is in history).
 */
export const SIGNATURE_POLICY_AT_OPEN = 'signature-policy-at-gate-open';

const pick = (v: Verification) => ({
  ...(v.principal ? { principal: v.principal } : {}),
  ...(v.fingerprint ? { fingerprint: v.fingerprint } : {}),
  ...(v.why ? { why: clip(v.why) } : {}),
});

export type Decision = 'approve' | 'reject';

export interface GateSpec {
  kind: GateKind;
  reason: string;
  info?: string;
  conflicts?: string[];
  onApprove: string;
  onReject: string;
  missingMappings?: MissingMapping[];
  /** A policy that decides without asking anyone (the reason names the policy). */
  policy?: { decision: Decision; reason: string };
  /**
   * Runs on a person's decision before it applies (e.g. send the database mappings it carries to LifeTime). A
   * problem keeps the gate open (same ID and deadline) and is shown there; the decision is recorded as not applied.
   */
  check?: (d: DecisionRecord) => Promise<string | undefined>;
}

/** What a workflow keeps of its gates: the open one and the decisions (a deployment's and a release's state). */
export interface GateState {
  gate?: GateView;
  decisions: DecisionRecord[];
  ignoredNotKept?: number;
}

/** The workflow a gate belongs to (a deployment or a release): its policies, state and visibility. */
export interface GateHost {
  readonly policies: Pick<Policies, 'approvers' | 'allowSelfApproval' | 'gate' | 'signatures'>;
  readonly requestedBy: string;
  /** The requester as the request's signature proved it (a signed request), for the self-approval check. */
  requester?(): { principal: string; fingerprint: string } | undefined;
  readonly s: GateState;
  /** The state changed: search attributes and current details follow. */
  update(): void;
  /** A gate of this kind is open and waits: the host enters its waiting step. */
  waiting(kind: GateKind): void;
  /** True when the run should continue-as-new (history long or large). */
  shouldContinueAsNew(): boolean;
  /** Tells people about gates (none: nobody is told). */
  readonly notifier?: Notifier;
}

export class Gates {
  private nextId = 1;
  private pending?: DecisionRecord;
  /** Whether the worker has an allowed-approvers file (asked once a run, when it matters). */
  private approversFile?: Promise<boolean>;
  private approversFileKnown?: boolean;
  private readonly s: GateState;

  constructor(private readonly host: GateHost) {
    this.s = host.s;
    this.nextId = this.s.decisions.reduce((m, d) => Math.max(m, (d.gateId ?? 0) + 1), 1);
  }

  /** Registers the decision handlers: `approve` / `reject` as signals and as Updates (with validators). */
  handle(): void {
    for (const [decision, signal, update] of [
      ['approve', approveSignal, approveUpdate],
      ['reject', rejectSignal, rejectUpdate],
    ] as const) {
      setHandler(signal, async (d) => void (await this.receive(decision, d)));
      setHandler(update, (d) => this.answer(decision, d), { validator: (d) => this.validate(decision, d) });
    }
  }

  /**
   * Signal handler body: validate, check authority, verify a signature (a local activity, when the decision is
   * signed or signatures are required), record; apply only to the open gate. Synchronous when nothing is verified.
   */
  receive(decision: Decision, raw: unknown): DecisionRecord | Promise<DecisionRecord> {
    const at = new Date().toISOString();
    const parsed = SignedDecisionPayload.safeParse(raw);
    if (!parsed.success) {
      const by =
        raw && typeof raw === 'object' && typeof (raw as { by?: unknown }).by === 'string'
          ? clip((raw as { by: string }).by, LIMITS.name)
          : '?';
      const ignored = clip(`invalid payload: ${describeIssues(parsed.error.issues)}`);
      return this.record({ decision, by, at, applied: false, ignored });
    }
    const { by, reason, mappings, signed } = parsed.data;
    const gate = this.s.gate;
    const base: DecisionRecord = {
      decision,
      by,
      reason,
      ...(mappings?.length ? { mappings } : {}),
      at,
      applied: false,
      gateId: gate?.id,
      gate: gate?.kind,
    };
    const ignored = this.whyIgnored(decision, by);
    if (ignored) return this.record({ ...base, ignored });
    const required = signed ? true : this.signaturesRequired();
    const apply = (): DecisionRecord => (this.pending = this.record({ ...base, applied: true }));
    if (required === false) return apply();
    return (async () => {
      if (!(await required)) return apply();
      const v = signed
        ? await verify.verifyDecision({
            payload: parsed.data,
            expected: {
              workflowId: workflowInfo().workflowId,
              runId: workflowInfo().firstExecutionRunId,
              gateId: gate!.id,
              gateKind: gate!.kind,
              decision,
            },
            at,
          })
        : { verified: false, why: 'unsigned: this gate takes signed decisions only (approve --sign-with <key>)' };
      base.signature = { verified: v.verified, ...pick(v) };
      if (!v.verified) return this.record({ ...base, ignored: clip(`signature: ${v.why ?? 'not verified'}`) });
      // The gate may have closed (or been decided) while the signature was checked.
      const still = this.s.gate?.id === gate!.id ? this.whyIgnored(decision, by) : 'the gate closed meanwhile';
      return still ? this.record({ ...base, ignored: still }) : apply();
    })();
  }

  /**
   * Whether unsigned decisions are refused: `required`; `auto` when the deployment names approvers and the worker has
   * an allowed-approvers file (asked once, by a local activity). Workflows from before signatures never ask.
   */
  private signaturesRequired(): boolean | Promise<boolean> {
    const { signatures, approvers } = this.host.policies;
    if (signatures === 'break-glass-unsigned' || (signatures === 'auto' && !approvers.length)) return false;
    if (!patched(SIGNED_DECISIONS)) return false;
    if (signatures === 'required') return true;
    this.approversFile ??= verify.signingSettings().then(
      (r) => (this.approversFileKnown = r.approversFile),
      () => false,
    );
    return this.approversFile;
  }

  /**
   * Before a person's gate opens: whether its decisions must be signed (`auto` with approvers: does the worker have an
   * allowed-approvers file?), asked once a run, so the Update validator knows it from the first decision on.
   */
  private async learnSignaturePolicy(): Promise<void> {
    const { signatures, approvers } = this.host.policies;
    if (signatures !== 'auto' || !approvers.length || this.approversFileKnown !== undefined) return;
    if (!patched(SIGNATURE_POLICY_AT_OPEN)) return;
    await this.signaturesRequired();
  }

  /**
   * Update validator body: why a decision would be ignored (invalid payload, no gate, not allowed, unsigned where
   * signatures are required), thrown so the update is refused without a trace in history. Reads only.
   */
  validate(decision: Decision, raw: unknown): void {
    const parsed = SignedDecisionPayload.safeParse(raw);
    if (!parsed.success) throw new Error(`invalid payload: ${describeIssues(parsed.error.issues)}`);
    const why = this.whyIgnored(decision, parsed.data.by);
    if (why) throw new Error(why);
    const { signatures, approvers } = this.host.policies;
    const mustSign =
      signatures === 'required' || (signatures === 'auto' && approvers.length > 0 && this.approversFileKnown === true);
    if (mustSign && !parsed.data.signed)
      throw new Error('unsigned: this gate takes signed decisions only (approve --sign-with <key>)');
  }

  /** Update handler body: the decision, once the gate has taken it (applied, or not applied with the problem). */
  async answer(decision: Decision, raw: unknown): Promise<DecisionRecord> {
    const d = await this.receive(decision, raw);
    if (d.applied) await condition(() => this.pending !== d);
    return d;
  }

  /** Why a person's decision cannot apply now (undefined: it applies to the open gate). */
  private whyIgnored(decision: Decision, by: string): string | undefined {
    if (!this.s.gate) return 'no gate open';
    if (this.pending) return 'the gate was already decided';
    const { approvers, allowSelfApproval } = this.host.policies;
    if (approvers.length > 0 && !approvers.some((a) => sameName(a) === sameName(by))) {
      return `not allowed: ${by} is not on the approver list (${approvers.join(', ')})`;
    }
    const proven = this.host.requester?.();
    const requester = proven?.principal ?? this.host.requestedBy;
    if (decision === 'approve' && sameName(by) === sameName(requester) && !allowSelfApproval) {
      const what = this.s.gate.kind === 'promotion' ? 'release' : 'deployment';
      const how = proven ? `, signed with key ${proven.fingerprint}` : '';
      return `not allowed: self-approval (${by} requested this ${what}${how})`;
    }
    return undefined;
  }

  /**
   * The one way a decision is kept: in the state, in the log and in the UI. Ignored decisions are kept up to
   * LIMITS.ignoredDecisionsKept and only counted after that, so a flood of signals cannot grow the state.
   */
  private record(d: DecisionRecord): DecisionRecord {
    const ignoredKept = this.s.decisions.filter((x) => !x.applied).length;
    if (d.applied || ignoredKept < LIMITS.ignoredDecisionsKept) this.s.decisions.push(d);
    else this.s.ignoredNotKept = (this.s.ignoredNotKept ?? 0) + 1;
    if (d.applied) log.info('decision applied', { decision: d.decision, by: d.by, gate: d.gate });
    else log.warn('decision ignored', { decision: d.decision, by: d.by, why: d.ignored });
    this.host.update();
    return d;
  }

  /**
   * Decides a gate: by its policy at once, else opens it and waits for a person or the gate deadline. A gate open
   * when the run continued-as-new is reopened as it was (same ID and deadline). Returns the continue-as-new sentinel
   * when history grows too long while the gate waits (a flood of signals). The deployment deadline cancels the
   * surrounding scope, so it surfaces as a cancellation, not here.
   */
  async decide(spec: GateSpec): Promise<Decision | typeof CONTINUE_AS_NEW> {
    if (spec.policy) {
      const { decision, reason } = spec.policy;
      const at = new Date().toISOString();
      this.record({ decision, by: 'policy', reason, at, gate: spec.kind, applied: true, automatic: true });
      return decision;
    }
    const { timeoutMinutes, onTimeout } = this.host.policies.gate;
    await this.learnSignaturePolicy();
    let view = this.s.gate;
    if (view?.kind !== spec.kind) {
      const openedAt = new Date();
      view = {
        id: this.nextId++,
        kind: spec.kind,
        runId: workflowInfo().firstExecutionRunId,
        reason: spec.reason,
        info: spec.info,
        conflicts: spec.conflicts,
        ...(spec.missingMappings ? { missingMappings: spec.missingMappings } : {}),
        onApprove: spec.onApprove,
        onReject: spec.onReject,
        openedAt: openedAt.toISOString(),
        deadline: new Date(openedAt.getTime() + Math.round(timeoutMinutes * 60_000)).toISOString(),
        onTimeout: `${onTimeout} automatically (${onTimeout === 'approve' ? spec.onApprove : spec.onReject})`,
      };
      this.pending = undefined;
      this.s.gate = view;
      this.host.waiting(spec.kind);
      await this.notify('gate.opened', view);
    } else this.host.waiting(spec.kind);
    const reminderMs = ((await this.host.notifier?.reminderMinutes()) ?? 0) * 60_000;
    let decided = false;
    let pending: DecisionRecord | undefined;
    try {
      for (;;) {
        const deadlineIn = Date.parse(view.deadline) - Date.now();
        const reminderAt = Date.parse(view.openedAt) + ((view.reminders ?? 0) + 1) * reminderMs;
        const remindIn = reminderMs ? reminderAt - Date.now() : Infinity;
        decided = await condition(
          () => this.pending !== undefined || this.host.shouldContinueAsNew(),
          Math.max(1, Math.min(deadlineIn, remindIn)),
          { summary: remindIn < deadlineIn ? `${spec.kind} gate reminder` : `${spec.kind} gate deadline` },
        );
        pending = this.pending as DecisionRecord | undefined; // set by a signal or update handler meanwhile
        if (decided && !pending) {
          // Time to continue as new. A handler still verifying a decision (a local activity) may yet apply it:
          // let it finish first, or the decision would be recorded as applied and lost with this run.
          await condition(allHandlersFinished);
          pending = this.pending as DecisionRecord | undefined;
          if (!pending) break;
        }
        if (!decided && remindIn < deadlineIn) {
          view.reminders = (view.reminders ?? 0) + 1; // still waiting: remind the people who decide
          await this.notify('gate.reminder', view, undefined, view.reminders);
          continue;
        }
        const problem = pending && spec.check ? await spec.check(pending) : undefined;
        if (!problem) break;
        // The decision could not apply: the gate stays open, same ID and deadline, and says why.
        pending!.applied = false;
        pending!.ignored = clip(problem);
        view.problem = clip(problem);
        log.warn('decision could not apply; the gate stays open', { by: pending!.by, problem: view.problem });
        this.pending = undefined;
        this.host.update();
      }
    } catch (err) {
      this.close(); // cancelled (or the deployment deadline): the gate is gone with the deployment
      throw err;
    }
    if (decided && !pending) return CONTINUE_AS_NEW; // the gate stays open in the state for the next run
    const applied =
      pending ??
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
    await this.notify(pending ? 'gate.decided' : 'gate.expired', view, applied);
    this.close();
    return applied.decision;
  }

  /** Tells the people who decide about the gate (in the background; never delays the gate). */
  private async notify(
    type: 'gate.opened' | 'gate.reminder' | 'gate.decided' | 'gate.expired',
    view: GateView,
    d?: DecisionRecord,
    reminder?: number,
  ): Promise<void> {
    const n = this.host.notifier;
    if (!n) return;
    const gate = notifyGate(view, this.host.policies.approvers);
    const what = {
      opened: 'waits for a decision',
      reminder: 'still waits for a decision',
      decided: 'decided',
      expired: 'passed its deadline',
    }[type.slice(5) as 'opened' | 'reminder' | 'decided' | 'expired'];
    await n.emit(
      type,
      {
        gate,
        summary: `The ${view.kind} gate ${what}`,
        ...(d ? { decision: { decision: d.decision, by: d.by, reason: d.reason, automatic: d.automatic } } : {}),
      },
      { gate: view.id, reminder },
    );
  }

  /** Closes the open gate (decided, or LifeTime moved on without us). */
  close(): void {
    this.s.gate = undefined;
    this.pending = undefined;
    this.host.update();
  }
}
