/**
 * Deployment plans: create / update / delete, validation, the `start` / `continue` / `abort` commands with
 * LifeTime's preconditions (reference §5.1, §7), DB mappings, progression and foreign plans.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  DeploymentCreate,
  deployedApplications,
  InterventionInfo,
  isTerminalStatus,
  RunStatus,
  type DbMappingConfiguration,
} from '../lifetime/schemas';
import { ImpactAnalysis, type ConflictBody, type PlanOperation } from './conflicts';
import { Engine, isActive, isDone, planExecution, type Person, type PlanRecord } from './engine';
import { Outcome, type Scenario, type ScenarioBook } from './scenario';
import { fail, iso } from './util';
import type { World } from './world';

export interface SimConfig {
  speed: number;
  progression: 'wall' | 'per-poll';
  parallelLimit: number;
}
/**
 * `tagAndDeploy`: the plan has applications marked "Tag & Deploy" in LifeTime's UI, so LifeTime refuses every
 * command on it through the API (reference §5.1, §7.5).
 */
export type StoredPlan = PlanRecord & { held?: boolean; tagAndDeploy?: boolean };
type CreateInput = z.output<typeof DeploymentCreate>;

export const AddPlanRequest = z.strictObject({
  key: z.string().min(1).optional(),
  /** Target environment (key or name). */
  target: z.string().min(1),
  /** Source environment (key or name); default: the environment before the target. */
  source: z.string().min(1).optional(),
  /** Applications (names or keys) deployed with their running version in the source. Default none. */
  applications: z.array(z.string().min(1)).default([]),
  status: RunStatus.default('running'),
  /** For status needs_user_intervention (default deployment_prepared). */
  info: InterventionInfo.optional(),
  notes: z.string().default('Deployment started by another team'),
  /** LifeTime time the plan takes; without it, a started foreign plan stays where it is until advanced. */
  durationMs: z.number().positive().optional(),
  /** Finish after refusing this many `start` commands on its target. */
  releaseAfterRefusedStarts: z.number().int().min(1).optional(),
  outcome: Outcome.optional(),
  /**
   * false: a plan with applications marked "Tag & Deploy" in LifeTime's UI; LifeTime refuses `start`, `continue`
   * and `abort` on it through the API (400). Default true.
   */
  startableByApi: z.boolean().default(true),
});
export type AddPlanRequest = z.input<typeof AddPlanRequest>;

const LIFETIME: Person = { name: 'LifeTime', username: 'lifetime' };

export class PlanStore {
  plans: StoredPlan[] = [];
  firstKeyUsed = false;
  readonly impact: ImpactAnalysis;
  readonly engine: Engine;

  constructor(
    private readonly world: World,
    private readonly scenarios: ScenarioBook,
    private readonly config: () => SimConfig,
    private readonly now: () => number,
  ) {
    this.impact = new ImpactAnalysis(world);
    this.engine = new Engine(world, {
      onTerminal: (plan) => {
        if (deployedApplications(plan.status))
          for (const op of plan.operations)
            this.world.setRunning(op.applicationKey, plan.target, op.versionKey, op.zoneKey);
      },
    });
  }

  private get account(): Person {
    return this.world.data.serviceAccount;
  }

  get(key: string): StoredPlan | undefined {
    return this.plans.find((p) => p.key === key);
  }
  must(key: string): StoredPlan {
    const plan = this.get(key);
    if (!plan) throw fail(404, `Deployment with key ${key} not found.`);
    return plan;
  }
  private envName(key: string): string {
    return this.world.env(key)?.name ?? key;
  }

  /** Checks a create/update body against the infrastructure (environments, versions, zones, blocked apps). */
  private operations(source: string, target: string, ops: CreateInput['ApplicationOperations']): PlanOperation[] {
    const src = this.world.env(source);
    const tgt = this.world.env(target);
    if (!src) throw fail(404, `Source or target environment not found: SourceEnvironmentKey ${source}.`);
    if (!tgt) throw fail(404, `Source or target environment not found: TargetEnvironmentKey ${target}.`);
    if (source === target) throw fail(400, 'Invalid request. The source and target environments must be different.');
    const zones = this.world.zones(tgt);
    const seen = new Set<string>();
    return ops.map((op, i) => {
      const found = this.world.version(op.ApplicationVersionKey);
      if (!found)
        throw fail(
          400,
          `Invalid request. ApplicationOperations[${i}].ApplicationVersionKey: application version ${op.ApplicationVersionKey} not found.`,
        );
      const { app } = found;
      if (seen.has(app.key))
        throw fail(400, `Invalid request. Application '${app.name}' appears more than once in the plan.`);
      seen.add(app.key);
      if (op.DeploymentZoneKey && !zones.some((z) => z.key === op.DeploymentZoneKey))
        throw fail(
          400,
          `Invalid request. ApplicationOperations[${i}].DeploymentZoneKey: deployment zone ${op.DeploymentZoneKey} does not exist in ${tgt.name}.`,
        );
      const blocked = this.world.blockedIn(app, target);
      if (blocked)
        throw fail(
          400,
          `Invalid request. Application '${app.name}' is blocked from being deployed to ${tgt.name}. ${blocked.reason}`.trim(),
        );
      return { applicationKey: app.key, versionKey: op.ApplicationVersionKey, zoneKey: op.DeploymentZoneKey };
    });
  }

  private newKey(): string {
    const first = this.world.data.firstDeploymentKey;
    if (!this.firstKeyUsed && first && !this.get(first)) {
      this.firstKeyUsed = true;
      return first;
    }
    return randomUUID();
  }

  private blank(key: string, notes: string, source: string, target: string, operations: PlanOperation[]): StoredPlan {
    const now = iso(this.now());
    return {
      key,
      notes,
      source,
      target,
      operations,
      createdOn: now,
      savedOn: now,
      createdBy: this.account,
      foreign: false,
      status: 'saved',
      info: '',
      log: [],
      started: false,
      steps: [],
      stepIndex: -1,
      pointOfNoReturn: 0,
      progressMs: 0,
      clockAt: this.now(),
      interventions: [],
    };
  }

  create(body: CreateInput): StoredPlan {
    const ops = this.operations(body.SourceEnvironmentKey, body.TargetEnvironmentKey, body.ApplicationOperations);
    const plan = this.blank(this.newKey(), body.Notes, body.SourceEnvironmentKey, body.TargetEnvironmentKey, ops);
    this.plans.push(plan);
    return plan;
  }

  update(key: string, body: Partial<CreateInput>): StoredPlan {
    const plan = this.must(key);
    if (plan.started) throw fail(400, `Invalid request. Deployment ${key} can only be changed while it is saved.`);
    const source = body.SourceEnvironmentKey ?? plan.source;
    const target = body.TargetEnvironmentKey ?? plan.target;
    const ops = body.ApplicationOperations
      ? this.operations(source, target, body.ApplicationOperations)
      : this.operations(
          source,
          target,
          plan.operations.map((o) => ({ ApplicationVersionKey: o.versionKey, DeploymentZoneKey: o.zoneKey })),
        );
    Object.assign(plan, { source, target, operations: ops, notes: body.Notes ?? plan.notes, savedOn: iso(this.now()) });
    return plan;
  }

  remove(key: string): void {
    const plan = this.must(key);
    if (plan.started)
      throw fail(
        400,
        `Deployment with key ${key} cannot be deleted: it is ${plan.status}, not saved. Try aborting the deployment first.`,
      );
    this.plans = this.plans.filter((p) => p !== plan);
  }

  scenarioOf(plan: PlanRecord): Scenario {
    return this.scenarios.forPlan(
      plan.key,
      plan.operations.map((o) => o.applicationKey),
    );
  }

  /**
   * Validation (what `GET /deployments/{key}/` runs): frozen results once started. The first `fromData` conflicts
   * follow from the data (LifeTime's impact analysis); the rest were made up by a `conflicts` scenario.
   */
  validate(plan: PlanRecord): { conflicts: ConflictBody[]; redeploy: string[]; fromData: number } {
    if (plan.started) return { conflicts: plan.conflicts ?? [], redeploy: plan.redeploy ?? [], fromData: 0 };
    const scenario = this.scenarioOf(plan);
    const nat = this.impact.natural(plan.operations, plan.target);
    const made = (n: number): ConflictBody[] => this.impact.synthetic(plan.operations, plan.target, n, nat.length);
    const c = scenario.conflicts;
    let conflicts: ConflictBody[];
    if (c === undefined) conflicts = nat;
    else if (c === false) conflicts = [];
    else if (c === true) conflicts = nat.length ? nat : made(1);
    else if (typeof c === 'number') conflicts = [...nat, ...made(Math.max(0, c - nat.length))].slice(0, c);
    else conflicts = structuredClone(c) as ConflictBody[];
    const fromData = conflicts.filter((x) => nat.includes(x)).length;
    return { conflicts, redeploy: this.impact.toRedeploy(plan.operations, plan.target), fromData };
  }

  /**
   * The conflicts that refuse `start` (without `ContinueWithErrors=true`): by default those LifeTime's impact
   * analysis finds in the data (among those validation reports); with `allowStartWithConflicts: false` (the
   * `conflicts` preset, or `blockStartOnConflicts: true`) every reported one, made-up ones included; with
   * `allowStartWithConflicts: true`, none.
   */
  private blockingConflicts(v: { conflicts: ConflictBody[]; fromData: number }, scenario: Scenario): ConflictBody[] {
    if (scenario.allowStartWithConflicts === true) return [];
    if (scenario.allowStartWithConflicts === false) return v.conflicts;
    return v.conflicts.slice(0, v.fromData);
  }

  start(key: string, q: { redeployOutdated: boolean; continueWithErrors: boolean }): void {
    const plan = this.must(key);
    const refuse = (why: string): never => {
      throw fail(400, `Command start can't be executed for deployment ${key}. ${why}`);
    };
    if (plan.started) refuse(`The deployment is already ${plan.status === 'saved' ? 'starting' : plan.status}.`);
    this.refuseCommand(plan, 'start');
    if (plan.operations.length === 0 && !plan.foreign) refuse('The deployment plan has no applications.');
    const scenario = this.scenarioOf(plan);
    const validation = this.validate(plan);
    const { conflicts } = validation;
    const blocking = q.continueWithErrors ? [] : this.blockingConflicts(validation, scenario);
    if (blocking.length > 0)
      throw fail(
        400,
        `Command start can't be executed for deployment ${key}. The deployment plan has ${blocking.length} conflict(s); ` +
          'solve them or start with ContinueWithErrors=true.',
        ...blocking.map((c) => `${c.ModuleConflict?.ConflictType ?? 'Conflict'}: ${c.Message ?? ''}`.trim()),
      );
    const env = this.envName(plan.target);
    const active = this.plans.filter((p) => p !== plan && p.target === plan.target && isActive(p));
    const apps = new Set(plan.operations.map((o) => o.applicationKey));
    const overlap = active.find((p) => p.operations.some((o) => apps.has(o.applicationKey)));
    const limit = this.config().parallelLimit;
    if (active.length >= limit || overlap) {
      this.countRefusal(active);
      if (overlap) {
        const name = this.world.app(overlap.operations.find((o) => apps.has(o.applicationKey))!.applicationKey)?.name;
        refuse(`Application '${name}' is already in a running deployment to the ${env} environment (${overlap.key}).`);
      }
      refuse(
        `The ${env} environment already has ${active.length} running deployment(s) (${active.map((p) => p.key).join(', ')}); ` +
          `the limit of parallel deployments per environment is ${limit}.`,
      );
    }
    const redeploy = q.redeployOutdated ? this.impact.toRedeploy(plan.operations, plan.target) : [];
    const missing = this.impact.missingDbMappings(plan.operations, plan.target).length > 0;
    Object.assign(plan, planExecution(this.world, plan, scenario, { redeploy, missingDbMappings: missing }), {
      conflicts,
      redeploy,
    });
    this.engine.start(plan, this.now(), this.account);
  }

  private countRefusal(blockers: StoredPlan[]): void {
    for (const p of blockers) {
      if (p.releaseAfterRefusedStarts === undefined) continue;
      p.releaseAfterRefusedStarts -= 1;
      if (p.releaseAfterRefusedStarts <= 0) {
        delete p.releaseAfterRefusedStarts;
        this.runToEnd(p);
      }
    }
  }

  /**
   * LifeTime's refusals of a command that do not depend on the plan's progress: a "Tag & Deploy" plan (every
   * command), a target in maintenance mode or offline (`start` and `continue`).
   */
  private refuseCommand(plan: StoredPlan, command: 'start' | 'continue' | 'abort'): void {
    const head = `Command ${command} can't be executed for deployment ${plan.key}.`;
    if (plan.tagAndDeploy)
      throw fail(
        400,
        `${head} The deployment plan has applications marked for Tag & Deploy; run it in LifeTime's console.`,
      );
    if (command === 'abort') return;
    const target = this.world.env(plan.target);
    const why = target && this.world.unavailability(target);
    if (why) throw fail(400, `${head} ${why}`);
  }

  continue(key: string): void {
    const plan = this.must(key);
    if (!plan.waiting)
      throw fail(
        400,
        `Command continue can't be executed for deployment ${key}. It is not waiting for user intervention (status ${plan.status}).`,
      );
    this.refuseCommand(plan, 'continue');
    this.engine.resume(plan, this.now(), this.account);
  }

  /** Abort: while running before the point of no return, or whenever the plan waits for a person. */
  abort(key: string): void {
    const plan = this.must(key);
    const refuse = (why: string): never => {
      throw fail(400, `Command abort can't be executed for deployment ${key}. ${why}`);
    };
    if (!plan.started) refuse('The deployment has not started; delete it instead.');
    this.refuseCommand(plan, 'abort');
    if (isDone(plan) || plan.status === 'aborting') refuse(`The deployment is ${plan.status}.`);
    if (!plan.waiting && plan.stepIndex >= plan.pointOfNoReturn)
      refuse(`The deployment is already being applied to the ${this.envName(plan.target)} environment.`);
    this.engine.abort(plan, this.now(), this.account);
  }

  /** `POST /deployments/{key}/configuration/`: validates every mapping, stores them and continues. */
  configure(key: string, body: DbMappingConfiguration): void {
    const plan = this.get(key);
    if (!plan) throw fail(404, 'The deployment provided does not exist');
    if (plan.waiting?.info !== 'needs_configuration_or_confirmation')
      throw fail(400, 'The deployment provided is not awaiting for confirmation');
    const env = this.world.env(plan.target)!;
    const extensions = plan.operations
      .flatMap((o) => this.world.app(o.applicationKey)?.modules ?? [])
      .filter((m) => m.kind === 'Extension');
    const added = body.flatMap((entry) => {
      const ext = extensions.find((m) => m.key === entry.ExtensionKey);
      if (!ext)
        throw fail(
          400,
          `The extension provided does not exist or is not part of this deployment: ${entry.ExtensionKey}`,
        );
      return entry.DBMapping.map((m) => {
        if (!ext.logicalDatabases.includes(m.LogicalDatabaseName))
          throw fail(400, `The logical database ${m.LogicalDatabaseName} does not exist for this extension`);
        if (env.dbConnections && !env.dbConnections.includes(m.DatabaseName))
          throw fail(400, `The database ${m.DatabaseName} does not exist for this extension`);
        return { extensionKey: ext.key, logicalDatabase: m.LogicalDatabaseName, databaseName: m.DatabaseName };
      });
    });
    const still = this.impact
      .missingDbMappings(plan.operations, plan.target)
      .filter((m) => !added.some((a) => a.extensionKey === m.ExtensionKey && a.logicalDatabase === m.LogicalDatabase));
    if (still.length > 0)
      throw fail(400, `The mapping for the following logical database was not provided: ${still[0]!.LogicalDatabase}`);
    env.dbMappings.push(...added);
    this.engine.resume(plan, this.now(), this.account, 'Mapping succeeded and deployment triggered.');
  }

  /** Wall-clock progression of every plan (no-op in per-poll mode). */
  tickAll(): void {
    const { progression, speed } = this.config();
    const now = this.now();
    for (const p of this.plans) {
      if (progression === 'wall' && !p.held) this.engine.tick(p, now, speed);
      else p.clockAt = now;
    }
  }

  /** Admin: N steps forward for one plan or every active plan (waiting plans stay waiting). */
  advance(key: string | undefined, phases: number): StoredPlan[] {
    const targets = key ? [this.must(key)] : this.plans.filter(isActive);
    for (const p of targets) for (let i = 0; i < phases; i++) this.engine.advanceOne(p, this.now());
    return targets;
  }

  private runToEnd(p: StoredPlan): void {
    for (let guard = 0; guard < 10_000 && !isTerminalStatus(p.status); guard++) {
      if (p.waiting) this.engine.resume(p, this.now(), LIFETIME);
      else if (!this.engine.advanceOne(p, this.now())) break;
    }
  }

  /** Admin: someone else's plan, in any status. */
  inject(req: z.output<typeof AddPlanRequest>): StoredPlan {
    const target = this.world.envByRef(req.target);
    if (!target) throw fail(400, `unknown target environment ${JSON.stringify(req.target)}`);
    const order = this.world.envsInOrder();
    const source = req.source ? this.world.envByRef(req.source) : order[Math.max(0, order.indexOf(target) - 1)];
    if (!source || source === target)
      throw fail(400, `unknown or invalid source environment ${JSON.stringify(req.source ?? '')}`);
    const ops = req.applications.map((ref): PlanOperation => {
      const app = this.world.appByRef(ref);
      const running = app && this.world.running(app, source.key);
      if (!app || !running) throw fail(400, `application ${JSON.stringify(ref)} is not running in ${source.name}`);
      return { applicationKey: app.key, versionKey: running.version, zoneKey: '' };
    });
    if (req.key && this.get(req.key)) throw fail(400, `a plan with key ${req.key} already exists`);
    const plan = this.blank(req.key ?? randomUUID(), req.notes, source.key, target.key, ops);
    plan.foreign = true;
    plan.createdBy = plan.startedBy = { name: 'Another Team', username: 'another.team' };
    if (req.releaseAfterRefusedStarts !== undefined) plan.releaseAfterRefusedStarts = req.releaseAfterRefusedStarts;
    if (!req.startableByApi) plan.tagAndDeploy = true;
    this.plans.push(plan);
    if (req.status === 'saved') return plan;
    const finished =
      isTerminalStatus(req.status) && req.status !== 'aborted' ? (req.status as Scenario['outcome']) : undefined;
    const scenario: Scenario = { durationMs: req.durationMs, outcome: req.outcome ?? finished };
    Object.assign(plan, planExecution(this.world, plan, scenario, { redeploy: [], missingDbMappings: false }), {
      conflicts: [],
      redeploy: [],
    });
    this.engine.start(plan, this.now(), plan.createdBy);
    plan.held = req.durationMs === undefined;
    if (req.status === 'needs_user_intervention') {
      plan.interventions.unshift({ info: req.info ?? 'deployment_prepared', at: plan.stepIndex + 1 });
      this.engine.advanceOne(plan, this.now());
    } else if (req.status === 'aborting' || req.status === 'aborted') {
      this.engine.abort(plan, this.now(), plan.createdBy);
      if (req.status === 'aborted') this.engine.advanceOne(plan, this.now());
    } else if (isTerminalStatus(req.status)) this.runToEnd(plan);
    return plan;
  }
}
