/**
 * The plan state machine (reference §5): a started plan walks through its steps (the realistic profile,
 * rewritten for the scenario's outcome); before a step it may stop in `needs_user_intervention`; `abort`
 * replaces the rest with `aborting` → `aborted`. Progression is driven from outside: by the wall clock
 * (`tick`, scaled by speed), by status polls (`advanceOne` per poll) or by the admin API.
 */
import { isTerminalStatus, SUCCESSFUL_END, type DeploymentStatus, type InterventionInfo } from '../lifetime/schemas';
import type { ConflictBody, PlanOperation } from './conflicts';
import {
  abortSteps,
  applyOutcome,
  queuedFirst,
  realisticProfile,
  scaleProfile,
  type LogType,
  type Step,
} from './profile';
import type { Scenario } from './scenario';
import { iso } from './util';
import type { World } from './world';

export interface LogEntry {
  instant: string;
  message: string;
  type: LogType;
}
export interface Person {
  name: string;
  username: string;
}

/** Everything the simulator knows about a plan (JSON-serialisable: it is what the state file stores). */
export interface PlanRecord {
  key: string;
  notes: string;
  source: string;
  target: string;
  operations: PlanOperation[];
  createdOn: string;
  savedOn: string;
  createdBy: Person;
  startedOn?: string;
  startedBy?: Person;
  abortedOn?: string;
  abortedBy?: Person;
  finishedOn?: string;
  /** Injected through the admin API (someone else's plan). */
  foreign: boolean;
  status: DeploymentStatus;
  info: string;
  log: LogEntry[];
  started: boolean;
  steps: Step[];
  stepIndex: number;
  pointOfNoReturn: number;
  /** LifeTime time spent in the current step (wall-clock mode), and when that was last brought up to date. */
  progressMs: number;
  clockAt: number;
  /** Interventions still ahead: stop before entering step `at`. */
  interventions: { info: InterventionInfo; at: number }[];
  waiting?: { info: InterventionInfo; resumeAt: number };
  /** Frozen at start (validation results of the started plan). */
  conflicts?: ConflictBody[];
  redeploy?: string[];
  /** Foreign plans: finish after refusing this many starts on their target. */
  releaseAfterRefusedStarts?: number;
}

export interface EngineHooks {
  /** Called once when a plan reaches a terminal status. */
  onTerminal(plan: PlanRecord): void;
}

export const isActive = (p: PlanRecord): boolean => p.started && !isTerminalStatus(p.status);
export const isDone = (p: PlanRecord): boolean => isTerminalStatus(p.status);

const interventionMessage = (
  info: InterventionInfo,
  plan: PlanRecord,
  target: string,
): { message: string; type: LogType } => {
  switch (info) {
    case 'deployment_prepared':
      return {
        type: 'Info',
        message: `Deployment prepared. Waiting for confirmation to continue the deployment to ${target}.`,
      };
    case 'needs_configuration_or_confirmation':
      return {
        type: 'Warning',
        message:
          'There is one or more Extensions with missing configuration. Configure them in the deployment plan, ' +
          'or confirm to continue with the default settings.',
      };
    case 'business_process_impact':
      return {
        type: 'Warning',
        message: `The deployment impacts business processes running in ${target}: 3 process instances will be affected. Confirm to continue.`,
      };
    case 'deployment_suspended': {
      const next = plan.steps[plan.stepIndex + 1]?.id.split(':')[1] ?? 'the solution';
      return {
        type: 'Error',
        message: `Failed to deploy '${next}' to ${target}: the Platform Server did not respond. The deployment was suspended.`,
      };
    }
  }
};

/** Builds the steps, point of no return and interventions of a plan that is being started. */
export function planExecution(
  world: World,
  plan: PlanRecord,
  scenario: Scenario,
  extra: { redeploy: string[]; missingDbMappings: boolean },
): Pick<PlanRecord, 'steps' | 'pointOfNoReturn' | 'interventions'> {
  const appKeys = [...plan.operations.map((o) => o.applicationKey), ...extra.redeploy];
  const applications = appKeys.flatMap((k) => {
    const app = world.app(k);
    return app ? [{ name: app.name, modules: app.modules.map((m) => ({ name: m.name, kind: m.kind })) }] : [];
  });
  const target = world.env(plan.target);
  const targetName = target?.name ?? plan.target;
  let profile = realisticProfile({
    source: world.env(plan.source)?.name ?? plan.source,
    target: targetName,
    applications,
  });
  if (scenario.savedAfterStart) profile = queuedFirst(profile);
  if (scenario.durationMs) profile = scaleProfile(profile, scenario.durationMs);
  if (scenario.outcome && scenario.outcome !== SUCCESSFUL_END)
    profile = applyOutcome(profile, scenario.outcome, targetName);
  const steps = profile.steps;
  const end = steps.findIndex((s) => s.status === 'aborting' || isTerminalStatus(s.status));
  const maxAt = steps[end]?.status === 'aborting' ? end - 1 : end;
  const clamp = (n: number): number => Math.max(1, Math.min(maxAt, n));
  const firstDeploy = steps.findIndex((s) => s.id.startsWith('module-deploy:'));
  const defaults: Record<InterventionInfo, number> = {
    deployment_prepared: profile.pointOfNoReturn,
    business_process_impact: profile.pointOfNoReturn,
    needs_configuration_or_confirmation: profile.compileIndex,
    deployment_suspended: firstDeploy > 0 ? firstDeploy : profile.pointOfNoReturn,
  };
  const specs = [
    ...(target?.twoStepDeployment ? [{ info: 'deployment_prepared' as const }] : []),
    ...(extra.missingDbMappings ? [{ info: 'needs_configuration_or_confirmation' as const }] : []),
    ...(scenario.interventions ?? []),
  ];
  const interventions = specs.map((s) => ({
    info: s.info,
    at: clamp(
      s.atPhase === undefined ? defaults[s.info] : s.atPhase === 'prepared' ? profile.pointOfNoReturn : s.atPhase,
    ),
  }));
  const pointOfNoReturn = Math.max(
    1,
    Math.min(steps.length - 1, scenario.pointOfNoReturnPhase ?? profile.pointOfNoReturn),
  );
  return { steps, pointOfNoReturn, interventions };
}

export class Engine {
  constructor(
    private readonly world: World,
    private readonly hooks: EngineHooks,
  ) {}

  private log(plan: PlanRecord, at: number, message: string, type: LogType): void {
    plan.log.push({ instant: iso(at), message, type });
  }

  private enter(plan: PlanRecord, index: number, at: number): void {
    const step = plan.steps[index];
    if (!step) return;
    plan.stepIndex = index;
    plan.status = step.status;
    plan.info = '';
    plan.progressMs = 0;
    for (const m of step.messages) this.log(plan, at, m.message, m.type);
    if (step.status === 'aborting' && !plan.abortedOn) {
      plan.abortedOn = iso(at);
      plan.abortedBy = { name: 'LifeTime', username: 'lifetime' };
    }
    if (isTerminalStatus(step.status)) {
      plan.finishedOn = iso(at);
      plan.interventions = [];
      this.hooks.onTerminal(plan);
    }
  }

  /** Moves to step `index`, unless an intervention is due there: then the plan waits for a person. */
  private proceed(plan: PlanRecord, index: number, at: number): void {
    const i = plan.interventions.findIndex((x) => x.at === index);
    if (i >= 0) {
      const [iv] = plan.interventions.splice(i, 1);
      plan.waiting = { info: iv!.info, resumeAt: index };
      plan.status = 'needs_user_intervention';
      plan.info = iv!.info;
      const m = interventionMessage(iv!.info, plan, this.world.env(plan.target)?.name ?? plan.target);
      this.log(plan, at, m.message, m.type);
      return;
    }
    this.enter(plan, index, at);
  }

  /** Begins execution: the plan enters its first step (`running`; `saved` with the `savedAfterStart` scenario). */
  start(plan: PlanRecord, at: number, by: Person): void {
    plan.started = true;
    plan.startedOn = iso(at);
    plan.startedBy = by;
    plan.clockAt = at;
    this.enter(plan, 0, at);
  }

  /** One step forward (no-op when not started, waiting or finished). */
  advanceOne(plan: PlanRecord, at: number): boolean {
    if (!plan.started || plan.waiting || isDone(plan)) return false;
    this.proceed(plan, plan.stepIndex + 1, at);
    plan.clockAt = at;
    return true;
  }

  /** Wall-clock progression: catches the plan up with `now` at `speed` (LifeTime ms per real ms). */
  tick(plan: PlanRecord, now: number, speed: number): boolean {
    if (!plan.started || plan.waiting || isDone(plan)) {
      plan.clockAt = now;
      return false;
    }
    plan.progressMs += Math.max(0, now - plan.clockAt) * speed;
    plan.clockAt = now;
    let changed = false;
    while (plan.started && !plan.waiting && !isDone(plan)) {
      const duration = plan.steps[plan.stepIndex]?.durationMs ?? 0;
      if (plan.progressMs < duration) break;
      const leftover = plan.progressMs - duration;
      this.proceed(plan, plan.stepIndex + 1, now - leftover / speed);
      plan.progressMs = plan.waiting ? 0 : leftover;
      changed = true;
    }
    return changed;
  }

  /** `continue`: leaves needs_user_intervention and goes on with the step it stopped before. */
  resume(plan: PlanRecord, at: number, by: Person, note?: string): void {
    const waiting = plan.waiting;
    if (!waiting) return;
    delete plan.waiting;
    this.log(plan, at, note ?? `Deployment continued by ${by.name}.`, 'Info');
    plan.clockAt = at;
    this.proceed(plan, waiting.resumeAt, at);
  }

  /** `abort`: `aborting` now, `aborted` one step later (the rest of the plan is dropped). */
  abort(plan: PlanRecord, at: number, by: Person): void {
    delete plan.waiting;
    plan.interventions = [];
    plan.abortedOn = iso(at);
    plan.abortedBy = by;
    plan.steps = [
      ...plan.steps.slice(0, plan.stepIndex + 1),
      ...abortSteps(
        { type: 'Warning', message: `Aborting deployment as requested by ${by.name}.` },
        { type: 'Warning', message: 'Deployment aborted.' },
      ),
    ];
    plan.clockAt = at;
    this.enter(plan, plan.stepIndex + 1, at);
  }
}
