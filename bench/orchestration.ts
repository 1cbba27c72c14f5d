/**
 * Part 2: orchestration cost per deployment (history events, billable-action equivalents) for the seed path,
 * a ten-minute and a one-hour deployment, and a path with a conflict gate; plus the cost of the gate itself:
 * LifeTime requests and history events while it waits for a decision.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { approveSignal, searchAttributes as sa } from '../src/workflows/messages';
import { ADAPTIVE_DEFAULTS, request, resultWithin, startDeployment, toWorkflowPolling, type Finished } from './deploy';
import { analyzeHistory, type HistoryFacts } from './history';
import { detection, planOrUndefined, planRequestsBetween, statusRequestsByPlan, type Ctx } from './measure';
import { round, sleep } from './stats';

export interface OrchestrationCase {
  name: string;
  what: string;
  workflowId: string;
  outcome?: string;
  error?: string;
  ltMinutes: number | null;
  latencyS: number | null;
  polls?: number;
  statusRequests: number;
  finalPhaseRequests: number;
  finalPhaseS: number | null;
  events?: number;
  actions?: number;
  actionsByRule?: Record<string, number>;
  activities?: Record<string, number>;
  timersStarted?: number;
  upserts?: number;
  signals?: number;
  byType?: Record<string, number>;
}

export interface GateCost {
  waitLtS: number;
  waitWallS: number;
  /** Requests naming the gated plan while the gate waited (expected 0). */
  planRequestsDuringWait: number;
  /** History events of the gated workflow while the gate waited (expected 0). */
  eventsDuringWait: number | null;
  /** Every LifeTime request in that window, from any deployment running meanwhile (context only). */
  allRequestsDuringWait: number;
}

interface Pending {
  name: string;
  what: string;
  handle: WorkflowHandle;
  timeoutMs: number;
}

const minutesWall = (ltMinutes: number, speed: number): number => (ltMinutes * 60_000) / speed;

/** Starts a deployment of `app` with the product's default polling (scaled to the simulator speed). */
async function start(ctx: Ctx, name: string, app: string, what: string, ltMinutes: number): Promise<Pending> {
  const polling = toWorkflowPolling(ADAPTIVE_DEFAULTS, ctx.speed);
  const handle = await startDeployment(
    ctx.client,
    ctx.taskQueue,
    `${ctx.runId}-cost-${name}`,
    request({ name: app }, 'Production', polling, `bench part 2 (${name})`),
  );
  return { name, what, handle, timeoutMs: minutesWall(ltMinutes, ctx.speed) * 2 + 120_000 };
}

async function describeCase(ctx: Ctx, p: Pending, f: Finished): Promise<OrchestrationCase> {
  const key = f.result?.deploymentKey;
  const d = detection(
    planOrUndefined(ctx.sim, key),
    key ? (statusRequestsByPlan(ctx.sim.requests()).get(key) ?? []) : [],
    ctx.speed,
  );
  let h: HistoryFacts | undefined;
  try {
    h = analyzeHistory(await p.handle.fetchHistory());
  } catch {
    h = undefined;
  }
  return {
    name: p.name,
    what: p.what,
    workflowId: p.handle.workflowId,
    outcome: f.result?.outcome,
    error: f.error,
    ltMinutes: d.ltMinutes === null ? null : round(d.ltMinutes, 2),
    latencyS: d.latencyS === null ? null : round(d.latencyS, 2),
    polls: f.result?.polls,
    statusRequests: d.statusRequests,
    finalPhaseRequests: d.finalPhaseRequests,
    finalPhaseS: d.finalPhaseS === null ? null : round(d.finalPhaseS, 1),
    events: h?.events,
    actions: h?.actions,
    actionsByRule: h?.actionsByRule,
    activities: h?.activitiesByType,
    timersStarted: h?.timersStarted,
    upserts: h?.upserts,
    signals: h?.signals,
    byType: h?.byType,
  };
}

/** PayrollPortal → Production (a natural "Producer Element Missing" conflict): approve after a fixed wait. */
async function gatePath(
  ctx: Ctx,
  waitLtS: number,
  minutes: number | undefined,
): Promise<{ p: Pending; f: Finished; gate: GateCost }> {
  const what = `seed PayrollPortal 1.2 → Production: conflict gate, approved after ${f2(waitLtS / 60)} min${minutes ? ` (durationMs ${minutes} min)` : ''}`;
  const p = await start(ctx, 'conflict-gate', 'PayrollPortal', what, (minutes ?? 5) + waitLtS / 60);
  const until = Date.now() + 120_000;
  let planKey: string | undefined;
  for (;;) {
    const d = await p.handle.describe();
    if (d.typedSearchAttributes.get(sa.gate) === 'conflicts') {
      planKey = d.typedSearchAttributes.get(sa.deploymentKey);
      break;
    }
    if (d.status.name !== 'RUNNING' || Date.now() > until) {
      const f = await resultWithin(p.handle, 1000);
      return {
        p,
        f: { ...f, error: f.error ?? 'the conflict gate never opened' },
        gate: {
          waitLtS,
          waitWallS: 0,
          planRequestsDuringWait: NaN,
          eventsDuringWait: null,
          allRequestsDuringWait: NaN,
        },
      };
    }
    await sleep(100);
  }
  const from = Date.now();
  await sleep((waitLtS * 1000) / ctx.speed);
  const to = Date.now();
  await p.handle.signal(approveSignal, { by: 'bench-operator', reason: 'benchmark: approved after a fixed wait' });
  const f = await resultWithin(p.handle, p.timeoutMs);
  const reqs = ctx.sim.requests();
  let events: number | null = null;
  try {
    const h = analyzeHistory(await p.handle.fetchHistory());
    events = h.eventTimesMs.filter((t) => t > from && t < to).length;
  } catch {
    events = null;
  }
  return {
    p,
    f,
    gate: {
      waitLtS,
      waitWallS: round((to - from) / 1000, 2),
      planRequestsDuringWait: planKey ? planRequestsBetween(reqs, planKey, from, to) : NaN,
      eventsDuringWait: events,
      allRequestsDuringWait: reqs.filter((r) => {
        const t = Date.parse(r.at);
        return t >= from && t <= to;
      }).length,
    },
  };
}

export interface OrchestrationResult {
  cases: OrchestrationCase[];
  gate: GateCost;
}

export interface OrchestrationOptions {
  gateWaitLtS: number;
  /** Also the ten-minute (durationMs), ten-minute (realistic profile) and one-hour deployments. */
  long: boolean;
  /** Quick mode: the seed and gate plans take this many LifeTime minutes instead of their realistic profile. */
  seedMinutes?: number;
  /** Application whose realistic profile is closest to ten minutes. */
  tenRealistic: { app: string; minutes: number };
}

/** Every path at the same time (the gate path waits its fixed time, then is approved). */
export async function runOrchestration(ctx: Ctx, o: OrchestrationOptions): Promise<OrchestrationResult> {
  if (o.seedMinutes !== undefined)
    for (const application of ['EmployeeBackoffice', 'PayrollPortal'])
      ctx.sim.setScenario({ application, durationMs: o.seedMinutes * 60_000 });
  const pending: Pending[] = [];
  if (o.long) {
    ctx.sim.setScenario({ application: 'BenchTenMinutes', durationMs: 10 * 60_000 });
    ctx.sim.setScenario({ application: 'BenchOneHour', durationMs: 60 * 60_000 });
    pending.push(
      await start(ctx, 'one-hour', 'BenchOneHour', 'one application, durationMs = 60 min LifeTime', 60),
      await start(ctx, 'ten-minutes', 'BenchTenMinutes', 'one application, durationMs = 10 min LifeTime', 10),
      await start(
        ctx,
        'ten-minutes-realistic',
        o.tenRealistic.app,
        `one application, realistic profile of ${f2(o.tenRealistic.minutes)} min LifeTime`,
        o.tenRealistic.minutes,
      ),
    );
  }
  const seedWhat = `seed EmployeeBackoffice 1.0 Development → Production${o.seedMinutes ? ` (durationMs ${o.seedMinutes} min)` : ''}`;
  pending.unshift(await start(ctx, 'seed', 'EmployeeBackoffice', seedWhat, o.seedMinutes ?? 6));
  ctx.log(`  part 2 · ${pending.map((p) => p.name).join(', ')} and the conflict gate, together`);
  const [gate, ...done] = await Promise.all([
    gatePath(ctx, o.gateWaitLtS, o.seedMinutes),
    ...pending.map((p) => resultWithin(p.handle, p.timeoutMs)),
  ]);
  const cases: OrchestrationCase[] = [];
  for (const [i, p] of pending.entries()) cases.push(await describeCase(ctx, p, done[i]!));
  cases.splice(1, 0, await describeCase(ctx, gate.p, gate.f));
  return { cases, gate: gate.gate };
}

const f2 = (v: number): string => v.toFixed(1);
