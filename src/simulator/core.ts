/**
 * The simulator's state and the operations behind the admin API (and the handle's typed methods):
 * infrastructure, plans, scenarios, faults, configuration, request log, reset and the state file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { cloneData, parseSimData, type SimData } from './data';
import { isActive, type PlanRecord } from './engine';
import { Faults, FaultsRequest, type FaultsState } from './faults';
import { AddPlanRequest, PlanStore, type SimConfig, type StoredPlan } from './plans';
import { presetScenario, PresetRequest, ScenarioBook, ScenarioRequest, type ScenarioEntry } from './scenario';
import { fail, zodIssues } from './util';
import { Views, type PlanView } from './views';
import { World } from './world';

/** One LifeTime API request as the simulator saw it (never the token or any header). */
export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** HTTP status answered; 0 when the request was not handled and nothing sent (hang, reset connection). */
  status: number;
  /** Size of the response body in bytes (0 when nothing was sent; for a dropped reply, the body it would have had). */
  responseBytes: number;
  /** True when the request was carried out (`status` is what it would have answered) and the reply dropped
   * by the `dropReply` / `dropNextCreateResponse` fault: the socket was destroyed without a response. */
  dropped?: boolean;
  /** ISO time the request arrived. */
  at: string;
  /** The matched route pattern, e.g. `/deployments/{DeploymentKey}/status/` (absent when none matched). */
  route?: string;
}

export const ConfigRequest = z.strictObject({
  parallelLimit: z.number().int().min(1).optional(),
  speed: z.number().positive().optional(),
  progression: z.enum(['wall', 'per-poll']).optional(),
});
export type ConfigRequest = z.input<typeof ConfigRequest>;
export const AdvanceRequest = z.strictObject({
  key: z.string().min(1).optional(),
  phases: z.number().int().min(1).default(1),
});
export type AdvanceRequest = z.input<typeof AdvanceRequest>;
/** Admin: maintenance mode of an environment (`reason` is what LifeTime shows with its refusals). */
export const MaintenanceRequest = z.strictObject({ on: z.boolean(), reason: z.string().max(1000).default('') });
export type MaintenanceRequest = z.input<typeof MaintenanceRequest>;
/** Admin: an environment offline (`IsOffline`). */
export const OfflineRequest = z.strictObject({ on: z.boolean() });
export type OfflineRequest = z.input<typeof OfflineRequest>;
/** An environment's availability for deployments, as the admin API shows it. */
export interface EnvironmentAvailability {
  key: string;
  name: string;
  maintenance: boolean;
  maintenanceReason: string;
  offline: boolean;
}

export interface PresetResult {
  preset: string;
  scenario?: ScenarioEntry;
  plans?: PlanView[];
  faults?: FaultsState;
}

const PersistedState = z.object({
  version: z.literal(1),
  data: z.unknown(),
  plans: z.array(z.looseObject({ key: z.string(), status: z.string(), steps: z.array(z.unknown()) })),
  firstKeyUsed: z.boolean(),
  scenarios: z.array(z.looseObject({ scope: z.looseObject({ kind: z.string() }), scenario: z.unknown() })),
});

/** Validates an admin input; a 400 naming each bad field. */
export function parseAdmin<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const r = schema.safeParse(raw ?? {});
  if (!r.success) throw fail(400, ...zodIssues(r.error).map((m) => `${what}: ${m}`));
  return r.data;
}

export class SimCore {
  world!: World;
  plans!: PlanStore;
  views!: Views;
  readonly scenarios = new ScenarioBook();
  readonly faults = new Faults();
  requests: RequestRecord[] = [];
  config: SimConfig;
  private lastWritten = '';

  constructor(
    private readonly initialData: SimData,
    private readonly initialConfig: SimConfig,
    readonly origin: () => string,
    private readonly stateFile?: string,
  ) {
    this.config = { ...initialConfig };
    this.build(cloneData(initialData));
    if (stateFile && existsSync(stateFile)) this.load(stateFile);
  }

  now(): number {
    return Date.now();
  }

  private build(data: SimData): void {
    this.world = new World(data, this.origin);
    this.plans = new PlanStore(
      this.world,
      this.scenarios,
      () => this.config,
      () => this.now(),
    );
    this.views = new Views(this.world, this.origin);
  }

  /** Back to the initial data and configuration: no plans, scenarios, faults or logged requests. */
  reset(): void {
    this.build(cloneData(this.initialData));
    this.config = { ...this.initialConfig };
    this.scenarios.clear();
    this.faults.clear();
    this.requests = [];
    this.persist();
  }

  planViews(): PlanView[] {
    this.plans.tickAll();
    return this.plans.plans.map((p) => this.views.plan(p));
  }
  planView(key: string): PlanView {
    this.plans.tickAll();
    return this.views.plan(this.plans.must(key));
  }

  setScenario(raw: unknown): ScenarioEntry {
    return this.scenarios.set(parseAdmin(ScenarioRequest, raw, 'scenario'), this.world);
  }
  setFaults(raw: unknown): FaultsState {
    return this.faults.set(parseAdmin(FaultsRequest, raw, 'faults'));
  }
  addPlan(raw: unknown): PlanView {
    this.plans.tickAll();
    return this.views.plan(this.plans.inject(parseAdmin(AddPlanRequest, raw, 'plan')));
  }
  advance(raw: unknown): PlanView[] {
    const req = parseAdmin(AdvanceRequest, raw, 'advance');
    this.plans.tickAll();
    return this.plans.advance(req.key, req.phases).map((p) => this.views.plan(p));
  }
  private envRef(ref: string) {
    const env = this.world.envByRef(ref);
    if (!env) throw fail(404, `unknown environment ${JSON.stringify(ref)}`);
    return env;
  }
  private availability(ref: string): EnvironmentAvailability {
    const env = this.envRef(ref);
    return {
      key: env.key,
      name: env.name,
      maintenance: env.maintenance?.enabled ?? false,
      maintenanceReason: env.maintenance?.reason ?? '',
      offline: env.offline ?? false,
    };
  }
  /** Admin: maintenance mode on/off for an environment (key or name). */
  setMaintenance(ref: string, raw: unknown): EnvironmentAvailability {
    const req = parseAdmin(MaintenanceRequest, raw, 'maintenance');
    this.world.setMaintenance(this.envRef(ref), req.on, req.reason);
    return this.availability(ref);
  }
  /** Admin: an environment (key or name) offline or back online. */
  setOffline(ref: string, raw: unknown): EnvironmentAvailability {
    const req = parseAdmin(OfflineRequest, raw, 'offline');
    this.envRef(ref).offline = req.on;
    return this.availability(ref);
  }
  environmentAvailability(ref: string): EnvironmentAvailability {
    return this.availability(ref);
  }

  setConfig(raw: unknown): SimConfig {
    const req = parseAdmin(ConfigRequest, raw, 'config');
    this.plans.tickAll();
    Object.assign(this.config, Object.fromEntries(Object.entries(req).filter(([, v]) => v !== undefined)));
    const now = this.now();
    for (const p of this.plans.plans) p.clockAt = now;
    return { ...this.config };
  }

  applyPreset(raw: unknown): PresetResult {
    const req = parseAdmin(PresetRequest, raw, 'preset');
    const scenario = presetScenario(req);
    if (scenario)
      return {
        preset: req.name,
        scenario: this.scenarios.set({ ...scenario, application: req.application, plan: req.plan }, this.world),
      };
    if (req.name === 'lost-create-response') {
      const current = this.faults.view();
      const { matched: _matched, ...rest } = current ?? { matched: 0, errorStatus: 503, seed: 1 };
      return { preset: req.name, faults: this.faults.set({ ...rest, dropNextCreateResponse: true }) };
    }
    // busy-target: foreign running plans up to the target's parallel limit
    const envs = this.world.envsInOrder();
    const env = req.environment ? this.world.envByRef(req.environment) : envs[envs.length - 1];
    if (!env) throw fail(400, `preset: unknown environment ${JSON.stringify(req.environment)}`);
    this.plans.tickAll();
    const active = this.plans.plans.filter((p) => p.target === env.key && isActive(p)).length;
    const n = Math.max(1, this.config.parallelLimit - active);
    const plans = Array.from({ length: n }, () =>
      this.addPlan({ target: env.key, status: 'running', releaseAfterRefusedStarts: req.releaseAfterRefusedStarts }),
    );
    return { preset: req.name, plans };
  }

  /** The current infrastructure (environments, applications, versions, running state). */
  data(): SimData {
    return cloneData(this.world.data);
  }

  // ---- state file ----------------------------------------------------------------------------------------

  private snapshot(): string {
    return JSON.stringify({
      version: 1,
      data: this.world.data,
      plans: this.plans.plans,
      firstKeyUsed: this.plans.firstKeyUsed,
      scenarios: this.scenarios.list(),
    });
  }

  /** Writes the state file when something changed (atomically: temp file + rename). */
  persist(): void {
    if (!this.stateFile) return;
    const s = this.snapshot();
    if (s === this.lastWritten) return;
    const tmp = `${this.stateFile}.${process.pid}.tmp`;
    writeFileSync(tmp, s);
    renameSync(tmp, this.stateFile);
    this.lastWritten = s;
  }

  private load(file: string): void {
    let parsed: z.output<typeof PersistedState>;
    try {
      const r = PersistedState.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!r.success) throw new Error(zodIssues(r.error).join('; '));
      parsed = r.data;
    } catch (err) {
      throw new Error(`cannot load simulator state file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.build(parseSimData(parsed.data, `state file ${file}`));
    this.plans.plans = parsed.plans as unknown as (PlanRecord & StoredPlan)[];
    // a running plan resumes where it was: the time the simulator was down does not count
    for (const p of this.plans.plans) p.clockAt = this.now();
    this.plans.firstKeyUsed = parsed.firstKeyUsed;
    this.scenarios.load(parsed.scenarios as unknown as ScenarioEntry[]);
    this.lastWritten = this.snapshot();
  }
}
