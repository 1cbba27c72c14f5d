/**
 * LifeTime API v2 simulator: a real HTTP server (node:http) that behaves like LifeTime closely enough for a
 * LifeTime client to run whole deployments against it, plus an admin API (`/_sim/…`) and this programmatic
 * handle for tests, the demo and benchmarks.
 *
 * ```ts
 * const sim = await startSimulator({ port: 0, progression: 'per-poll' });
 * // LIFETIME_URL = sim.url, token = sim.token
 * sim.setScenario({ application: 'PayrollPortal', conflicts: 2 });
 * await sim.close();
 * ```
 */
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  SimCore,
  type AdvanceRequest,
  type ConfigRequest,
  type EnvironmentAvailability,
  type MaintenanceRequest,
  type OfflineRequest,
  type PresetResult,
  type RequestRecord,
} from './core';
import { loadDataFile, parseSimData, type SimData, type SimDataInput } from './data';
import type { FaultsRequest, FaultsState } from './faults';
import { generateApplications } from './generate';
import type { AddPlanRequest, SimConfig } from './plans';
import type { PresetRequest, ScenarioEntry, ScenarioRequest } from './scenario';
import { seedData } from './seed';
import { BASE_PATH, createSimServer } from './server';
import type { PlanView } from './views';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8088; 0 = a free port. */
  port?: number;
  /** Bearer token every LifeTime request must carry. Default `lifetime-simulator-token`. */
  token?: string;
  /** The data set (default: the seed). Mutually exclusive with `dataFile`. */
  data?: SimDataInput;
  /** Path of a JSON data set (format: see `data.ts`). */
  dataFile?: string;
  /**
   * Adds this many synthetic applications (about 10 modules each, versions across the environments; deterministic)
   * to the data set, for tests and benchmarks on a large infrastructure. See `generate.ts`.
   */
  generateApps?: number;
  /** Plans, tagged versions and running state are kept in this file and loaded from it at start. */
  stateFile?: string;
  /** Wall-clock mode: LifeTime ms per real ms (default 1; 600 runs a 10-minute deployment in 1 s). */
  speed?: number;
  /** `wall` (default): plans advance with time × speed. `per-poll`: one step per `GET …/status/`. */
  progression?: 'wall' | 'per-poll';
  /** Running plans per target environment (default 5; 1 = LifeTime before parallel deployments). */
  parallelLimit?: number;
  /** One line per request and per notable event (never the token). */
  log?: (line: string) => void;
}

export interface SimulatorHandle {
  /** Full API base, e.g. `http://127.0.0.1:8088/lifetimeapi/rest/v2`. */
  readonly url: string;
  /** `http://127.0.0.1:8088` (the admin API is at `${origin}/_sim/`). */
  readonly origin: string;
  readonly token: string;
  close(): Promise<void>;
  /** LifeTime API requests received, oldest first. */
  requests(): RequestRecord[];
  clearRequests(): void;
  /** Initial data and configuration; no plans, scenarios, faults or logged requests. */
  reset(): void;
  plans(): PlanView[];
  plan(key: string): PlanView;
  setScenario(req: ScenarioRequest): ScenarioEntry;
  scenarios(): ScenarioEntry[];
  clearScenarios(): void;
  applyPreset(req: PresetRequest): PresetResult;
  setFaults(req: FaultsRequest): FaultsState;
  faults(): FaultsState | undefined;
  clearFaults(): void;
  /** Injects a foreign plan (e.g. a running plan that makes the target busy). */
  addPlan(req: AddPlanRequest): PlanView;
  /** Moves one plan (`key`) or every active plan `phases` steps forward (default 1). */
  advance(req?: AdvanceRequest): PlanView[];
  setConfig(req: ConfigRequest): SimConfig;
  config(): SimConfig;
  /** The current infrastructure (environments, applications, versions, what runs where). */
  data(): SimData;
  /** Maintenance mode on/off for an environment (key or name); LifeTime then refuses `start` and `continue`. */
  setMaintenance(environment: string, req: MaintenanceRequest): EnvironmentAvailability;
  /** An environment (key or name) offline or back online; LifeTime then refuses `start` and `continue`. */
  setOffline(environment: string, req: OfflineRequest): EnvironmentAvailability;
}

const Options = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8088),
  token: z.string().min(1).default('lifetime-simulator-token'),
  data: z.unknown().optional(),
  dataFile: z.string().min(1).optional(),
  generateApps: z.number().int().min(0).max(100_000).optional(),
  stateFile: z.string().min(1).optional(),
  speed: z.number().positive().default(1),
  progression: z.enum(['wall', 'per-poll']).default('wall'),
  parallelLimit: z.number().int().min(1).default(5),
  log: z.custom<(line: string) => void>((v) => typeof v === 'function').optional(),
});

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const parsed = Options.safeParse(options);
  if (!parsed.success) throw new Error(`invalid simulator options: ${z.prettifyError(parsed.error)}`);
  const o = parsed.data;
  if (o.data !== undefined && o.dataFile) throw new Error('invalid simulator options: give data or dataFile, not both');
  const given = o.dataFile ? loadDataFile(o.dataFile) : o.data !== undefined ? parseSimData(o.data) : seedData();
  const data = o.generateApps ? generateApplications(given, o.generateApps) : given;
  const log = o.log ?? ((): void => undefined);
  let origin = '';
  const config: SimConfig = { speed: o.speed, progression: o.progression, parallelLimit: o.parallelLimit };
  const sim = new SimCore(data, config, () => origin, o.stateFile);
  const server = createSimServer(sim, o.token, log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' || o.host.includes(':') ? `[${address.address}]` : o.host;
  origin = `http://${host}:${address.port}`;
  const url = `${origin}${BASE_PATH}`;
  sim.persist();

  const after = <T>(fn: () => T): T => {
    const out = fn();
    sim.persist();
    return out;
  };
  let closed: Promise<void> | undefined;
  return {
    url,
    origin,
    token: o.token,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        sim.persist();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
    requests: () => sim.requests.map((r) => ({ ...r, query: { ...r.query } })),
    clearRequests: () => void (sim.requests = []),
    reset: () => sim.reset(),
    plans: () => sim.planViews(),
    plan: (key) => sim.planView(key),
    setScenario: (req) => after(() => sim.setScenario(req)),
    scenarios: () => sim.scenarios.list(),
    clearScenarios: () => after(() => sim.scenarios.clear()),
    applyPreset: (req) => after(() => sim.applyPreset(req)),
    setFaults: (req) => sim.setFaults(req),
    faults: () => sim.faults.view(),
    clearFaults: () => sim.faults.clear(),
    addPlan: (req) => after(() => sim.addPlan(req)),
    advance: (req = {}) => after(() => sim.advance(req)),
    setConfig: (req) => after(() => sim.setConfig(req)),
    config: () => ({ ...sim.config }),
    data: () => sim.data(),
    setMaintenance: (environment, req) => after(() => sim.setMaintenance(environment, req)),
    setOffline: (environment, req) => after(() => sim.setOffline(environment, req)),
  };
}

export { BASE_PATH, ADMIN_PATH } from './server';
export { SimData, loadDataFile, parseSimData } from './data';
export type { SimDataInput } from './data';
export { seedData, SEED_KEYS, SEED_INPUT } from './seed';
export { generateApplications } from './generate';
export {
  realisticProfile,
  scaleProfile,
  applyOutcome,
  queuedFirst,
  type Profile,
  type Step,
  type ProfileInput,
} from './profile';
export type {
  RequestRecord,
  PresetResult,
  AdvanceRequest,
  ConfigRequest,
  EnvironmentAvailability,
  MaintenanceRequest,
  OfflineRequest,
} from './core';
export type { FaultsRequest, FaultsState } from './faults';
export type { AddPlanRequest, SimConfig } from './plans';
export type { PresetRequest, ScenarioEntry, ScenarioRequest, Scenario, InterventionSpec } from './scenario';
export type { PlanView } from './views';
