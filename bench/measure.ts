/** Shared by the parts of the benchmark: the run context, the simulator's request log, fetched histories. */
import type { Client } from '@temporalio/client';
import type { PlanView, RequestRecord, SimulatorHandle } from '../src/simulator';
import { analyzeHistory, type HistoryFacts } from './history';
import { mapLimit } from './stats';

export interface Ctx {
  client: Client;
  sim: SimulatorHandle;
  taskQueue: string;
  /** Simulator speed: LifeTime ms per wall ms. */
  speed: number;
  /** Prefix of every workflow ID of this run. */
  runId: string;
  log: (line: string) => void;
}

const STATUS_PATH = /\/deployments\/([^/]+)\/status\/?$/;
const PLAN_PATH = /\/deployments\/([0-9a-fA-F-]{36})(\/|$)/;

/** Wall ms of every `GET …/deployments/{key}/status/`, per plan key, in order. */
export function statusRequestsByPlan(reqs: RequestRecord[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of reqs) {
    const m = r.method === 'GET' ? STATUS_PATH.exec(r.path) : null;
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    list.push(Date.parse(r.at));
    out.set(m[1]!, list);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** Requests that name a plan key in their path, between two wall instants. */
export function planRequestsBetween(reqs: RequestRecord[], key: string, from: number, to: number): number {
  return reqs.filter((r) => {
    const t = Date.parse(r.at);
    return t >= from && t <= to && PLAN_PATH.exec(r.path)?.[1] === key;
  }).length;
}

export interface Detection {
  /** LifeTime seconds from the plan's terminal instant to the status request that saw it. */
  latencyS: number | null;
  /** LifeTime minutes from start to terminal (PlanView startedAt → finishedAt, wall × speed). */
  ltMinutes: number | null;
  statusRequests: number;
  /** Status requests after the detecting one (expected 0: the workflow stops polling). */
  extraAfterTerminal: number;
  /** LifeTime seconds between the detecting request and the one before it (the interval that caught the end). */
  lastIntervalS: number | null;
  /** LifeTime seconds from the first final-phase log line (the product's FINAL_PHASE lines) to the end. */
  finalPhaseS: number | null;
  /** Status requests from the first final-phase log line to the detecting one (inclusive). */
  finalPhaseRequests: number;
}

/** The log lines after which the workflow polls at its shortest interval (src/workflows/deploy.ts FINAL_PHASE). */
const FINAL_PHASE = /Synchronizing data|Updating application versions|Deploy completed/i;

/**
 * The simulator stamps finishedAt and log instants with the wall clock (at speed S, one wall ms is S LifeTime
 * ms), so LifeTime durations are wall differences × S. The detecting request is the first status request at or
 * after finishedAt; the workflow stops polling once it sees a terminal status.
 */
export function detection(plan: PlanView | undefined, statusTimes: number[], speed: number): Detection {
  const fin = plan?.finishedAt ? Date.parse(plan.finishedAt) : NaN;
  const started = plan?.startedAt ? Date.parse(plan.startedAt) : NaN;
  const after = Number.isFinite(fin) ? statusTimes.filter((t) => t >= fin) : [];
  const out: Detection = {
    latencyS: after.length ? ((after[0]! - fin) / 1000) * speed : null,
    ltMinutes: Number.isFinite(fin) && Number.isFinite(started) ? ((fin - started) / 60_000) * speed : null,
    statusRequests: statusTimes.length,
    extraAfterTerminal: Math.max(0, after.length - 1),
    lastIntervalS: null,
    finalPhaseS: null,
    finalPhaseRequests: 0,
  };
  const finalLine = plan?.log.find((l) => FINAL_PHASE.test(l.message));
  if (finalLine && Number.isFinite(fin)) {
    const t = Date.parse(finalLine.instant);
    out.finalPhaseS = ((fin - t) / 1000) * speed;
    const detect = after[0] ?? Infinity;
    out.finalPhaseRequests = statusTimes.filter((x) => x >= t && x <= detect).length;
  }
  const i = after.length ? statusTimes.indexOf(after[0]!) : -1;
  if (i > 0) out.lastIntervalS = ((statusTimes[i]! - statusTimes[i - 1]!) / 1000) * speed;
  return out;
}

export function planOrUndefined(sim: SimulatorHandle, key: string | undefined): PlanView | undefined {
  if (!key) return undefined;
  try {
    return sim.plan(key);
  } catch {
    return undefined;
  }
}

/** Fetches and analyses histories (a few at a time); a failed fetch gives undefined. */
export async function historyFacts(client: Client, workflowIds: string[]): Promise<(HistoryFacts | undefined)[]> {
  return mapLimit(workflowIds, 8, async (id) => {
    try {
      return analyzeHistory(await client.workflow.getHandle(id).fetchHistory());
    } catch {
      return undefined;
    }
  });
}
