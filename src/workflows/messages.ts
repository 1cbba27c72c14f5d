/**
 * Every name a person or a client can send or see: the workflow input schema, the signal and query
 * definitions, the decision payload, the failure types, the state and result shapes. The workflow, the CLI, the
 * worker and the tests import them from here; nobody retypes a name. (Presentation lives in presentation.ts, the
 * zod error formatter in describe-issues.ts.)
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { LifeTimeErrorCode } from '../lifetime/errors';
import type { NotificationRecord } from '../notify/event';
import type { RequestStatement, SignedSubject } from '../signing/statement';
import {
  INTERVENTION_INFOS,
  type DeploymentStatus,
  type InterventionInfo,
  type TerminalOutcome,
} from '../lifetime/schemas';
import { NOT_BEFORE_FORM, WINDOW_FORMS, parseNotBefore, parseWindowSpec } from '../windows/spec';

export { searchAttributes, allSearchAttributeKeys } from './search-attributes';

export const WORKFLOW_TYPE = 'deployApplications';
export const DEFAULT_TASK_QUEUE = 'lifetime-deploy';

export { INTERVENTION_INFOS, type InterventionInfo } from '../lifetime/schemas';

// ------------------------------------------------------------------------------------------------------------
// Input

/**
 * The size budget: every text that comes from outside (the request, signal payloads) has a maximum length, and
 * every list a maximum count, so no sender can push the state, the result or history past Temporal's limits.
 */
export const LIMITS = {
  /** Names and keys: applications, environments, people, zones. */
  name: 200,
  notes: 2000,
  reason: 1000,
  applications: 50,
  approvers: 50,
  /** Ignored decisions kept word for word (clipped); the rest are only counted. */
  ignoredDecisionsKept: 20,
  /** Characters kept of one LifeTime log line, note or conflict text. */
  text: 500,
  /** Notes kept (the first ones; a last note says how many were dropped). */
  notesKept: 50,
  /** Conflicts shown at a gate. */
  conflictsShown: 50,
  /** Database mappings in one decision, and missing mappings shown at a gate. */
  mappings: 50,
} as const;

const text = (what: string, max: number) =>
  z.string({ error: `${what} must be a string` }).max(max, { error: `${what} must be at most ${max} characters` });

const nonEmpty = (what: string, max: number = LIMITS.name) =>
  text(what, max)
    .trim()
    .min(1, { error: `${what} must not be empty` });

export const AppRequest = z.strictObject({
  /** Application name or application key in the source environment. */
  app: nonEmpty('app').optional(),
  /** An application version key: skips the version lookup (step 2). */
  versionKey: nonEmpty('versionKey').optional(),
  /** Deployment zone key in the target ("" or absent: the target's default zone). */
  deploymentZoneKey: text('deploymentZoneKey', LIMITS.name).optional(),
});
export type AppRequest = z.infer<typeof AppRequest>;

/** `window` (deployment_prepared only, with a deployment window): `continue` when the window opens. */
export const InterventionAction = z.enum(['gate', 'continue', 'abort', 'window']);
export type InterventionAction = z.infer<typeof InterventionAction>;

const seconds = (what: string, min: number, max: number) =>
  z
    .number({ error: `${what} must be a number of seconds` })
    .min(min, { error: `${what} must be at least ${min} s` })
    .max(max, { error: `${what} must be at most ${max} s` });

/** A duration in minutes: at least one second, at most 30 days. */
const minutes = (what: string) =>
  z
    .number({ error: `${what} must be a number of minutes` })
    .min(1 / 60, { error: `${what} must be at least 1 second (0.0167 minutes)` })
    .max(30 * 24 * 60, { error: `${what} must be at most 43200 minutes (30 days)` });

const interventionShape = Object.fromEntries(
  INTERVENTION_INFOS.map((info) => [info, InterventionAction.default('gate')]),
) as Record<InterventionInfo, z.ZodDefault<typeof InterventionAction>>;
const interventionDefaults = Object.fromEntries(INTERVENTION_INFOS.map((info) => [info, 'gate'])) as Record<
  InterventionInfo,
  InterventionAction
>;

export const Policies = z.strictObject({
  polling: z
    .strictObject({
      /** Delay before the first status poll after `start`. */
      firstPollSeconds: seconds('polling.firstPollSeconds', 0.05, 600).default(2),
      /** Shortest interval: right after start and in the final phase. */
      minIntervalSeconds: seconds('polling.minIntervalSeconds', 0.05, 600).default(2),
      /** Longest interval, reached by backing off while the plan runs. */
      maxIntervalSeconds: seconds('polling.maxIntervalSeconds', 0.05, 3600).default(30),
      /** Growth factor between two polls with no news. */
      backoff: z.number().min(1).max(10).default(1.6),
    })
    .refine((p) => p.minIntervalSeconds <= p.maxIntervalSeconds, {
      error: 'polling.minIntervalSeconds must not exceed polling.maxIntervalSeconds',
    })
    .default({ firstPollSeconds: 2, minIntervalSeconds: 2, maxIntervalSeconds: 30, backoff: 1.6 }),
  busyTarget: z
    .strictObject({
      action: z.enum(['wait', 'fail'], { error: 'busyTarget.action must be one of: wait, fail' }).default('wait'),
      maxWaitMinutes: z
        .number()
        .min(0)
        .max(7 * 24 * 60)
        .default(60),
      checkIntervalSeconds: seconds('busyTarget.checkIntervalSeconds', 1, 3600).default(30),
    })
    .default({ action: 'wait', maxWaitMinutes: 60, checkIntervalSeconds: 30 }),
  conflicts: z.enum(['gate', 'reject'], { error: 'conflicts must be one of: gate, reject' }).default('gate'),
  /** What to do at `needs_user_intervention`, per Info. */
  intervention: z.strictObject(interventionShape).default(interventionDefaults),
  gate: z
    .strictObject({
      /** How long a gate waits for a decision. */
      timeoutMinutes: minutes('gate.timeoutMinutes').default(24 * 60),
      /** What happens when nobody decides in time. */
      onTimeout: z
        .enum(['reject', 'approve'], { error: 'gate.onTimeout must be one of: reject, approve' })
        .default('reject'),
    })
    .default({ timeoutMinutes: 24 * 60, onTimeout: 'reject' }),
  /**
   * Overall deadline for the whole deployment; past it the plan is deleted or aborted. With a deployment window it
   * counts from the window's opening (waiting for the window is not deploying).
   */
  deadlineMinutes: minutes('deadlineMinutes').default(12 * 60),
  /** Who may decide at a gate (empty: anyone). */
  approvers: z
    .array(nonEmpty('approvers[]'))
    .max(LIMITS.approvers, { error: `approvers: at most ${LIMITS.approvers} names` })
    .default([]),
  /** May the person who requested the deployment approve its gates? */
  allowSelfApproval: z.boolean().default(false),
  /**
   * Signed decisions: `auto` (default) requires them when the worker has an allowed-approvers file and the deployment
   * names approvers; `required` always; `break-glass-unsigned` takes unsigned decisions even then (an explicit,
   * recorded choice for when the signing path is down).
   */
  signatures: z
    .enum(['auto', 'required', 'break-glass-unsigned'], {
      error: 'signatures must be one of: auto, required, break-glass-unsigned',
    })
    .default('auto'),
  /**
   * How long our own errors reading LifeTime (5xx, timeouts, malformed bodies, 404 for our plan) are waited out
   * before the deployment ends `failed` (LifeTimeUnreadable). The plan is never aborted or deleted for them.
   */
  lifeTimeErrorsMaxMinutes: minutes('lifeTimeErrorsMaxMinutes').default(12 * 60),
  /**
   * A plan built by a person in LifeTime (`planKey`) that is running when the deployment is cancelled or passes its
   * deadline: `abort` it (as the product does with its own plans) or `leave` it running in LifeTime. A plan that is
   * not running is never touched (never deleted: it is not ours).
   */
  operatorPlanOnStop: z
    .enum(['abort', 'leave'], { error: 'operatorPlanOnStop must be one of: abort, leave' })
    .default('abort'),
  /** Continue-as-new once history holds this many events (also when the server suggests it). */
  continueAsNewAfterEvents: z.number().int().min(200).max(50_000).default(8_000),
});
export type Policies = z.infer<typeof Policies>;

/** Names (people, applications) compare equal after trimming and case folding: `Carol` is `carol`. */
export const sameName = (name: string): string => name.trim().toLowerCase();

export const DeployRequest = z
  .strictObject({
    /** The applications to deploy; empty with `planKey` (the plan names them). */
    applications: z
      .array(AppRequest)
      .max(LIMITS.applications, { error: `applications: at most ${LIMITS.applications} in one deployment` }),
    /** Source environment name or key (not with `planKey`). */
    source: nonEmpty('source').optional(),
    /** Target environment name or key (not with `planKey`). */
    target: nonEmpty('target').optional(),
    /**
     * Take over a plan a person built in LifeTime (status `saved`), by its deployment key: steps 1–3 become reading
     * the plan; it is never deleted (it is not ours). Excludes `applications`, `source` and `target`.
     */
    planKey: nonEmpty('planKey').optional(),
    notes: text('notes', LIMITS.notes).default(''),
    redeployOutdated: z.boolean().default(false),
    requestedBy: nonEmpty('requestedBy'),
    policies: Policies.default(Policies.parse({})),
    /**
     * A recurring deployment window (syntax: src/windows/spec.ts): steps 1–4 run at once, `start` waits for the
     * window to open (or, with the intervention policy `deployment_prepared: window`, stage 2's `continue` does).
     */
    window: text('window', LIMITS.name)
      .superRefine((v, ctx) => {
        const p = parseWindowSpec(v);
        if (!p.ok) ctx.addIssue({ code: 'custom', message: `${p.error}; accepted: ${WINDOW_FORMS.join('; ')}` });
      })
      .optional(),
    /** A one-off: the plan starts (or stage 2 continues) no earlier than this instant. */
    notBefore: text('notBefore', 100)
      .superRefine((v, ctx) => {
        const p = parseNotBefore(v);
        if (!p.ok) ctx.addIssue({ code: 'custom', message: `${p.error}; accepted: ${NOT_BEFORE_FORM}` });
      })
      .optional(),
    /**
     * Upsert the product's search attributes (default). Set false on a namespace that lacks them
     * (e.g. the time-skipping test server, which cannot register custom search attributes).
     */
    searchAttributes: z.boolean().default(true),
    /**
     * The requester's SSH signature over this request (`deploy --sign-with`): a SignedRequest, checked by the
     * workflow (signed-decision.ts) and verified in the worker before step 1. Then `requestedBy` is a verified
     * principal, and self-approval is checked between verified principals.
     */
    signedRequest: z.unknown().optional(),
  })
  .superRefine((r, ctx) => {
    if (r.planKey !== undefined) {
      for (const field of ['applications', 'source', 'target'] as const) {
        const given = field === 'applications' ? r.applications.length > 0 : r[field] !== undefined;
        if (given)
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `${field} must not be given with planKey (the plan names its applications and environments)`,
          });
      }
      return;
    }
    if (r.applications.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['applications'],
        message: 'applications must list at least one application',
      });
    for (const field of ['source', 'target'] as const)
      if (r[field] === undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} is required (or give planKey)` });
    const seen = new Set<string>();
    r.applications.forEach((a, i) => {
      if (!a.app && !a.versionKey) {
        ctx.addIssue({
          code: 'custom',
          path: ['applications', i],
          message: 'give an app (name or key) or a versionKey',
        });
      }
      const id = sameName(a.app ?? a.versionKey ?? '');
      if (id && seen.has(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['applications', i],
          message: `${JSON.stringify(a.app ?? a.versionKey)} is listed twice`,
        });
      }
      seen.add(id);
    });
    for (const info of INTERVENTION_INFOS) {
      if (r.policies.intervention[info] !== 'window') continue;
      const path = ['policies', 'intervention', info];
      if (info !== 'deployment_prepared')
        ctx.addIssue({ code: 'custom', path, message: `"window" is only for deployment_prepared, not ${info}` });
      else if (r.window === undefined && r.notBefore === undefined)
        ctx.addIssue({ code: 'custom', path, message: '"window" needs a deployment window (window or notBefore)' });
    }
    if (r.source !== undefined && r.source === r.target) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: `target must differ from source ("${r.source}")` });
    }
  });
/** What callers pass (defaults may be omitted). */
export type DeployRequestInput = z.input<typeof DeployRequest>;
/** What the workflow works with (defaults filled). */
export type DeployRequest = z.output<typeof DeployRequest>;

/**
 * What a requester's signature over a deployment covers (`deploy --sign-with`), taken from the parsed request: the
 * CLI signs this and the worker verifies against it, so both read the same fields. `terms` is every other field but
 * the signature (policies, window, notes…), so the signed request cannot be sent again under weaker terms.
 */
export function deploySignatureSubject(r: DeployRequest): SignedSubject<RequestStatement> {
  const { signedRequest: _signature, requestedBy, source, target, applications, ...terms } = r;
  return { requestedBy, source: source ?? '', target: target ?? '', applications, terms };
}

// ------------------------------------------------------------------------------------------------------------
// Signals and queries

/** A database mapping given with an approval at LifeTime's missing-mappings intervention. */
export const DbMappingInput = z.strictObject({
  /** The extension, by name or key. */
  extension: nonEmpty('mappings[].extension'),
  logicalDatabase: nonEmpty('mappings[].logicalDatabase'),
  /** The database connection's name in the target environment. */
  connection: nonEmpty('mappings[].connection'),
});
export type DbMappingInput = z.infer<typeof DbMappingInput>;

export const DecisionPayload = z.strictObject({
  by: nonEmpty('by'),
  reason: text('reason', LIMITS.reason).optional(),
  /** Extension database mappings, for the `needs_configuration_or_confirmation` intervention. */
  mappings: z
    .array(DbMappingInput)
    .max(LIMITS.mappings, { error: `mappings: at most ${LIMITS.mappings}` })
    .optional(),
});
export type DecisionPayload = z.infer<typeof DecisionPayload>;

export const approveSignal = defineSignal<[DecisionPayload]>('approve');
export const rejectSignal = defineSignal<[DecisionPayload]>('reject');
/**
 * The same decisions as Workflow Updates: a decision that cannot apply (no gate open, invalid payload, not on the
 * approver list, self-approval) is refused by the validator, synchronously and without a trace in history; a valid
 * one returns the decision as applied (or as ignored, when LifeTime refused what it carried).
 */
export const approveUpdate = defineUpdate<DecisionRecord, [DecisionPayload]>('approve');
export const rejectUpdate = defineUpdate<DecisionRecord, [DecisionPayload]>('reject');
export const stateQuery = defineQuery<DeployState>('state');

// ------------------------------------------------------------------------------------------------------------
// State and result

export type Step =
  | 'resolve-environments'
  | 'resolve-versions'
  | 'read-plan'
  | 'create-plan'
  | 'check-conflicts'
  | 'conflict-gate'
  | 'start'
  | 'wait-for-target'
  | 'wait-for-window'
  | 'polling'
  | 'intervention-gate'
  | 'aborting'
  | 'cleanup'
  | 'done';

/** Conflicts and interventions are a deployment's gates; `promotion` is a release's go before a stage. */
export type GateKind = 'conflicts' | 'intervention' | 'promotion';
/** How a deployment ends: a LifeTime terminal status's meaning, or our own ending. */
export type Outcome = TerminalOutcome | 'rejected' | 'timed_out' | 'cancelled';

/**
 * Why a deployment ended `failed`: the one list of failure types. The activities raise them (LifeTime client
 * error codes and the lookups' own), the workflow adds its own, the CLI maps them to exit codes. Every failure
 * ends the same way: the workflow cleans up in LifeTime and returns its result with outcome `failed` and `failure`.
 */
export type FailureType =
  | LifeTimeErrorCode
  /** The workflow input failed validation; nothing was done in LifeTime. */
  | 'InvalidRequest'
  /** An application has no tagged version in the source. */
  | 'UnknownApplicationVersion'
  /** The target ran another plan and the busy-target policy gave up (fail, or waited past its limit). */
  | 'TargetBusy'
  /**
   * LifeTime refused `start` or `continue` because the target is in maintenance mode or offline, and the busy-target
   * policy gave up (fail, or waited past its limit); the message carries LifeTime's reason.
   */
  | 'TargetUnavailable'
  /** The plan given with `planKey` cannot be taken over: not found in LifeTime, or not `saved`. */
  | 'PlanNotUsable'
  /** LifeTime finished the plan with errors. */
  | 'FinishedWithErrors'
  /** LifeTime refused `start` and the plan was neither started nor waiting for a busy target. */
  | 'StartRefused'
  /** LifeTime could not be read for longer than the policy allows; the plan was left to LifeTime, untouched. */
  | 'LifeTimeUnreadable'
  /** A release's target runs a newer version than the pinned one (and downgrades are not allowed). */
  | 'NewerInTarget'
  /** A manifest's deployment zone (by name) does not exist in a target. */
  | 'UnknownDeploymentZone'
  /** Anything else (a bug); the message says what. */
  | 'Unexpected';

export interface Failure {
  type: FailureType;
  message: string;
}

/** LifeTime refused a command because the target is in maintenance mode or offline: which, and LifeTime's words. */
export interface TargetUnavailability {
  kind: 'maintenance mode' | 'offline';
  lifetime: string;
}

export interface EnvRef {
  key: string;
  name: string;
}

export interface ResolvedApp {
  /** Application key (when known). */
  key?: string;
  name: string;
  versionKey: string;
  versionLabel?: string;
  deploymentZoneKey: string;
  /** The running app has untagged changes: its last tag is deployed instead. */
  isModified?: boolean;
}

export interface GateView {
  id: number;
  kind: GateKind;
  /** The workflow's first run ID: a signed decision names it with the gate (absent on gates opened before it was). */
  runId?: string;
  /** Why the gate is open, in readable form. */
  reason: string;
  /** LifeTime's Info for an intervention gate. */
  info?: string;
  conflicts?: string[];
  /** LifeTime's missing extension database mappings (the `needs_configuration_or_confirmation` intervention). */
  missingMappings?: MissingMapping[];
  /** Why the last decision could not apply (LifeTime refused its mappings, mappings still missing). */
  problem?: string;
  /** Reminders sent while the gate waits. */
  reminders?: number;
  openedAt: string;
  deadline: string;
  onApprove: string;
  onReject: string;
  onTimeout: string;
}

export interface MissingMapping {
  extensionKey: string;
  extension: string;
  logicalDatabase: string;
}

export interface DecisionRecord {
  decision: 'approve' | 'reject';
  by: string;
  reason?: string;
  mappings?: DbMappingInput[];
  at: string;
  gateId?: number;
  gate?: GateKind;
  applied: boolean;
  /** Why a decision was ignored. */
  ignored?: string;
  /** The gate deadline passed and the policy decided. */
  automatic?: boolean;
  /** The decision's signature as the worker verified it (signed decisions): the principal and the key's fingerprint. */
  signature?: { verified: boolean; principal?: string; fingerprint?: string; why?: string };
}

/** The deployment window a deployment aims at (when its request has `window` or `notBefore`). */
export interface WindowView {
  /** When it opens (before now while it is open). */
  opensAt: string;
  /** When it closes; none for a one-off `notBefore`. */
  closesAt?: string;
  /** The same instants as the window's local time and zone: `Sat 5 Dec 2026 22:00 Europe/Lisbon (UTC+00:00)`. */
  opensAtLocal: string;
  closesAtLocal?: string;
  /** Why the deployment waits for this window rather than the one it first aimed at. */
  reason?: string;
}

export interface LogLine {
  instant?: string;
  message: string;
  type?: string;
}

export interface DeployState {
  step: Step;
  requestedBy: string;
  /** The requester's signature over the request, as the worker verified it (signed requests only). */
  requester?: { principal: string; fingerprint: string };
  source?: EnvRef;
  target?: EnvRef;
  applications: ResolvedApp[];
  deploymentKey?: string;
  /** Whether this workflow created the plan (or found its own plan after a lost response). */
  planReused?: boolean;
  /**
   * false: the plan was built by a person in LifeTime (`planKey`) and is not ours: never deleted; aborted only when
   * running and `operatorPlanOnStop` says so. Absent: our own plan.
   */
  planOwned?: boolean;
  /** LifeTime's last reported status of the plan. */
  lifetimeStatus?: DeploymentStatus;
  /** We deleted the plan (it no longer exists in LifeTime; `lifetimeStatus` is its last status). */
  planDeleted?: boolean;
  info?: string;
  gate?: GateView;
  /** Applied decisions, and the first ignored ones (LIMITS.ignoredDecisionsKept). */
  decisions: DecisionRecord[];
  /** Ignored decisions past those kept: counted, not stored. */
  ignoredNotKept?: number;
  /** The last log lines (at most 50); `logCount` says how many there are in all. */
  log: LogLine[];
  logCount: number;
  polls: number;
  notes: string[];
  /** Notes past LIMITS.notesKept: counted, not stored. */
  notesDropped?: number;
  timings: {
    requestedAt: string;
    planCreatedAt?: string;
    startedAt?: string;
    finishedAt?: string;
  };
  /** Continue-as-new generations so far. */
  runs: number;
  /** The conflict gate is behind us (no conflicts, or approved). */
  conflictsCleared?: boolean;
  /** The conflicts a person (or the gate deadline) approved: `start` then says ContinueWithErrors=true. */
  approvedConflicts?: string[];
  /** LifeTime's link to the plan in its console (LifeTime 11.22+). */
  detailsUrl?: string;
  /** The deployment window (request `window` / `notBefore`): the opening `start` (or stage 2) waits for. */
  window?: WindowView;
  /** When the busy-target wait began. */
  busySince?: string;
  /**
   * LifeTime refuses `start` or `continue` because the target is in maintenance mode or offline: since when, and
   * why (with LifeTime's words). Cleared when LifeTime accepts the command.
   */
  targetUnavailable?: { since: string; reason: string };
  /** A decided `continue` / `abort` whose reply was lost or failed: sent again (after reading the plan). */
  pendingCommand?: 'continue' | 'abort';
  /** LifeTime could not be read (our own errors): since when, how often, the last error. Cleared by a good read. */
  unreadable?: { since: string; attempts: number; error: string };
  /** Notifications sent (the first NOTIFICATIONS_KEPT; the rest counted). */
  notifications?: NotificationRecord[];
  notificationsNotKept?: number;
  /** Set when the deployment is ending (cancelled, deadline, failure) while it cleans up in LifeTime. */
  ending?: Outcome;
  outcome?: Outcome;
  cleanup?: string;
  failure?: Failure;
}

export interface DeployResult {
  outcome: Outcome;
  /** The requester's verified signature over the request (signed requests only). */
  requester?: DeployState['requester'];
  lifetimeStatus?: DeploymentStatus;
  planDeleted?: boolean;
  /** false: an operator-built plan (`planKey`), never deleted by the deployment; `cleanup` says what became of it. */
  planOwned?: boolean;
  deploymentKey?: string;
  /** LifeTime's link to the plan in its console, when LifeTime gives one. */
  detailsUrl?: string;
  source?: EnvRef;
  target?: EnvRef;
  applications: ResolvedApp[];
  log: LogLine[];
  logCount: number;
  decisions: DecisionRecord[];
  ignoredNotKept?: number;
  polls: number;
  notes: string[];
  /** What was done in LifeTime on cancel / deadline / reject (deleted, aborted, …). */
  cleanup?: string;
  /** Why the outcome is `failed`. */
  failure?: Failure;
  /** Notifications sent: event, channel, delivered or failed (with the receiver's status). */
  notifications?: NotificationRecord[];
  durations: { totalSeconds: number; deploymentSeconds?: number };
  timings: DeployState['timings'];
}
