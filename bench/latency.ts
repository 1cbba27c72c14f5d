/**
 * Part 1: detection latency and LifeTime load. A set of deployments whose durations and log phases follow the
 * simulator's realistic profile (one application with 1…28 modules: about 2.5 to 30 minutes of LifeTime time),
 * deployed once per polling policy. All policies run at the same time, each on its own copy of the set: the
 * copies have the same module names, hence the same profile, but are different applications, so LifeTime lets
 * them run in parallel.
 */
import { realisticProfile } from '../src/simulator';
import type { PolicyLT, Polling } from './deploy';
import { distorted, request, resultWithin, startDeployment, toWorkflowPolling } from './deploy';
import type { BenchApp } from './env';
import { detection, historyFacts, planOrUndefined, statusRequestsByPlan, type Ctx } from './measure';
import { mean, quantile, round, summarize, sum, type Summary } from './stats';

/** One position of the set: how many modules, and optionally a fixed total (LifeTime minutes). */
export interface Slot {
  modules: number;
  minutes?: number;
}

export interface ProfileDeployment {
  app: string;
  modules: number;
  /** The plan's nominal total (LifeTime minutes): `realisticProfile`, or the slot's fixed duration. */
  profileMinutes: number;
  workflowId: string;
  planKey?: string;
  outcome?: string;
  error?: string;
  ltMinutes: number | null;
  latencyS: number | null;
  /** LifeTime seconds between the detecting status request and the previous one. */
  lastIntervalS: number | null;
  statusRequests: number;
  /** Status requests while the plan was in its final phase (sync, versions, completed). */
  finalPhaseRequests: number;
  finalPhaseS: number | null;
  extraAfterTerminal: number;
  polls?: number;
  events?: number;
  actions?: number;
}

export interface PolicyRun {
  policy: PolicyLT;
  polling: Polling;
  /** Some interval is under 1 s of workflow time at this speed (the dev server stretches such timers). */
  distorted: boolean;
  wallSeconds: number;
  deployments: ProfileDeployment[];
  latencyS: Summary;
  statusRequestsPerDeployment: {
    mean: number | null;
    median: number | null;
    total: number;
    finalPhaseMean: number | null;
  };
  events: Summary;
  actions: Summary;
  /** Wall ms from a poll timer's due instant to the start of its status poll (orchestration overhead). */
  pollLagMs: Summary;
  /** The same overhead in LifeTime seconds (× speed): how much of the latency is the time-scaling artefact. */
  pollLagLtS: number | null;
  failures: number;
}

/** Module counts spread evenly over 1…maxModules. */
export function moduleSpread(n: number, maxModules = 28): number[] {
  if (n <= 1) return [1];
  return Array.from({ length: n }, (_, i) => 1 + Math.round((i * (maxModules - 1)) / (n - 1)));
}

export const slotBase = (i: number): string => `BenchSlot${String(i + 1).padStart(2, '0')}`;
export const slotApp = (policy: number, i: number): string => `BenchP${policy + 1}S${String(i + 1).padStart(2, '0')}`;

/** The realistic profile's total (LifeTime minutes) of a one-application plan. */
export function profileMinutes(moduleBase: string, modules: number): number {
  const p = realisticProfile({
    source: 'Development',
    target: 'Production',
    applications: [
      {
        name: moduleBase,
        modules: Array.from({ length: modules }, (_, j) => ({
          name: `${moduleBase}_M${String(j + 1).padStart(2, '0')}`,
        })),
      },
    ],
  });
  return p.totalMs / 60_000;
}

const nominal = (slot: Slot, i: number): number => slot.minutes ?? profileMinutes(slotBase(i), slot.modules);

async function runOne(ctx: Ctx, index: number, policy: PolicyLT, slots: Slot[], apps: Map<string, BenchApp>) {
  const polling = toWorkflowPolling(policy, ctx.speed);
  const longest = Math.max(...slots.map(nominal));
  const timeoutMs = ((longest * 60_000) / ctx.speed) * 2 + 120_000;
  const t0 = Date.now();
  const handles = await Promise.all(
    slots.map((_, i) =>
      startDeployment(
        ctx.client,
        ctx.taskQueue,
        `${ctx.runId}-latency-p${index + 1}-s${i + 1}`,
        request(apps.get(slotApp(index, i))!, 'Production', polling, `bench part 1 (${policy.name})`),
      ),
    ),
  );
  const finished = await Promise.all(handles.map((h) => resultWithin(h, timeoutMs)));
  return { polling, finished, wallSeconds: (Date.now() - t0) / 1000 };
}

export async function runPolicies(
  ctx: Ctx,
  policies: PolicyLT[],
  slots: Slot[],
  apps: Map<string, BenchApp>,
): Promise<PolicyRun[]> {
  slots.forEach((slot, i) => {
    if (slot.minutes !== undefined)
      policies.forEach((_, p) =>
        ctx.sim.setScenario({ application: slotApp(p, i), durationMs: slot.minutes! * 60_000 }),
      );
  });
  const longest = Math.max(...slots.map(nominal));
  ctx.log(
    `  part 1 · ${policies.length} policies × ${slots.length} deployments, together (up to ${longest.toFixed(1)} LifeTime min ≈ ${Math.round((longest * 60) / ctx.speed)} s)`,
  );
  const runs = await Promise.all(policies.map((p, i) => runOne(ctx, i, p, slots, apps)));
  const byPlan = statusRequestsByPlan(ctx.sim.requests());
  const out: PolicyRun[] = [];
  for (const [pi, policy] of policies.entries()) {
    const { polling, finished, wallSeconds } = runs[pi]!;
    const facts = await historyFacts(
      ctx.client,
      finished.map((f) => f.workflowId),
    );
    const deployments = slots.map((slot, i): ProfileDeployment => {
      const f = finished[i]!;
      const key = f.result?.deploymentKey;
      const d = detection(planOrUndefined(ctx.sim, key), key ? (byPlan.get(key) ?? []) : [], ctx.speed);
      return {
        app: slotApp(pi, i),
        modules: slot.modules,
        profileMinutes: round(nominal(slot, i), 2),
        workflowId: f.workflowId,
        planKey: key,
        outcome: f.result?.outcome,
        error: f.error,
        ltMinutes: d.ltMinutes === null ? null : round(d.ltMinutes, 2),
        latencyS: d.latencyS === null ? null : round(d.latencyS, 2),
        lastIntervalS: d.lastIntervalS === null ? null : round(d.lastIntervalS, 2),
        statusRequests: d.statusRequests,
        finalPhaseRequests: d.finalPhaseRequests,
        finalPhaseS: d.finalPhaseS === null ? null : round(d.finalPhaseS, 1),
        extraAfterTerminal: d.extraAfterTerminal,
        polls: f.result?.polls,
        events: facts[i]?.events,
        actions: facts[i]?.actions,
      };
    });
    const requests = deployments.map((d) => d.statusRequests);
    const lags = facts.flatMap((x) => x?.pollLagMs ?? []);
    const lagP50 = quantile(lags, 0.5);
    const avg = mean(requests);
    out.push({
      policy,
      polling,
      distorted: distorted(policy, ctx.speed),
      wallSeconds: round(wallSeconds, 1),
      deployments,
      latencyS: summarize(deployments.flatMap((d) => (d.latencyS === null ? [] : [d.latencyS]))),
      statusRequestsPerDeployment: {
        mean: avg === null ? null : round(avg, 1),
        median: quantile(requests, 0.5),
        total: sum(requests),
        finalPhaseMean: round(mean(deployments.map((d) => d.finalPhaseRequests)) ?? 0, 1),
      },
      events: summarize(deployments.flatMap((d) => (d.events === undefined ? [] : [d.events]))),
      actions: summarize(deployments.flatMap((d) => (d.actions === undefined ? [] : [d.actions]))),
      pollLagMs: summarize(lags, 1),
      pollLagLtS: lagP50 === null ? null : round((lagP50 / 1000) * ctx.speed, 2),
      failures: deployments.filter(
        (d) => d.error || (d.outcome !== 'succeeded' && d.outcome !== 'succeeded_with_warnings'),
      ).length,
    });
  }
  return out;
}
