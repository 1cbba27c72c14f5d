/**
 * Part 3: N concurrent deployments on one worker (a child process, sampled from /proc). Each level gets a fresh
 * simulator (N applications, so no two plans touch the same application; parallelLimit 10,000), a fresh worker
 * and its own task queue; every plan lasts `durationMs` LifeTime time (a default scenario), at speed S. The
 * applications have three modules with the same names, so every plan has the same phases: the realistic
 * profile of a 4.6-minute plan, scaled to the fixed duration. The workflows pass the application's version key, so step 2 makes no LifeTime call
 * (listing 1,000 applications per deployment would measure the simulator's data set, not the worker).
 */
import * as os from 'node:os';
import type { Client } from '@temporalio/client';
import type { DevServer } from '../src/dev/dev-server';
import { searchAttributes as sa } from '../src/workflows/messages';
import { ADAPTIVE_DEFAULTS, request, startDeployment, toWorkflowPolling, type Polling } from './deploy';
import { benchData, spawnWorker, startBenchSimulator, type WorkerMemory } from './env';
import { historyFacts, statusRequestsByPlan, detection } from './measure';
import { ProcSampler, type WindowStats } from './proc';
import { ensureFreshBundle } from './startup';
import { evenSample, mapLimit, round, sleep, summarize, sum, type Summary } from './stats';

export interface ScaleLevel {
  n: number;
  /** The worker's V8 heap limit, when the level sets one (NODE_OPTIONS=--max-old-space-size). */
  heapMb?: number;
  /** maxCachedWorkflows given to the worker (LIFETIME_DEPLOY_MAX_CACHED_WORKFLOWS); undefined = SDK default. */
  cache?: number;
  /** The worker's V8 heap limit as the worker reported it. */
  workerHeapLimitMB?: number;
  /** The worker's process.memoryUsage() at its highest sampled RSS (V8 heap used / allocated, external). */
  workerMemory?: WorkerMemory;
  /** Whether the worker loaded the prebuilt workflow bundle (its `worker started` line). */
  prebuiltBundle?: boolean;
  speed: number;
  durationLtMinutes: number;
  polling: Polling;
  workerStartMs: number | null;
  /** Wall seconds to issue all N starts. */
  startSeconds: number;
  /** Wall seconds from the first start to the last completion. */
  makespanSeconds: number | null;
  throughputPerMinute: number | null;
  statuses: Record<string, number>;
  outcomes: Record<string, number>;
  failed: number;
  timedOut: boolean;
  sampledHistories: number;
  fireLagMs: Summary;
  pollLagMs: Summary;
  eventsPerDeployment: Summary;
  activityRetries: number;
  activityFailures: number;
  workflowTaskFailures: number;
  latencyS: Summary;
  requests: { total: number; status: number; perSecond: number; non2xx: number; truncated: boolean };
  worker: WindowStats;
  workerLog: { warn: number; error: number; recent: string[] };
  devServer: WindowStats;
  benchProcess: WindowStats;
  /** 1/5/15-minute load averages when the level ended (other work on the machine shows here). */
  loadAverage: number[];
  /** Set when the worker process died during the level (e.g. out of memory under a small heap limit). */
  workerExit?: string;
  error?: string;
}

export interface ScaleOptions {
  client: Client;
  server: DevServer;
  runId: string;
  n: number;
  heapMb?: number;
  cache?: number;
  speed: number;
  durationLtMinutes: number;
  historySample: number;
  log: (line: string) => void;
}

interface Listed {
  status: string;
  start: number;
  close?: number;
  outcome?: string;
}

async function listAll(client: Client, taskQueue: string): Promise<Listed[]> {
  const out: Listed[] = [];
  for await (const wf of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) {
    out.push({
      status: wf.status.name,
      start: wf.startTime.getTime(),
      close: wf.closeTime?.getTime(),
      outcome: wf.typedSearchAttributes.get(sa.outcome),
    });
  }
  return out;
}

const count = (xs: (string | undefined)[]): Record<string, number> =>
  xs.reduce<Record<string, number>>((m, x) => ((m[x ?? 'none'] = (m[x ?? 'none'] ?? 0) + 1), m), {});

export async function runScaleLevel(o: ScaleOptions): Promise<ScaleLevel> {
  const label = `${o.n}${o.heapMb ? `-heap${o.heapMb}` : ''}${o.cache !== undefined ? `-cache${o.cache}` : ''}`;
  const taskQueue = `${o.runId}-scale-${label}`;
  const names = Array.from({ length: o.n }, (_, i) => `BenchScale${String(i + 1).padStart(4, '0')}`);
  const { data, apps } = benchData(names.map((name) => ({ name, modules: 3, moduleBase: 'BenchScale' })));
  await ensureFreshBundle(o.log);
  const sim = await startBenchSimulator(data, o.speed);
  sim.setScenario({ durationMs: o.durationLtMinutes * 60_000 });
  const worker = spawnWorker({
    temporalAddress: o.server.address,
    lifetimeUrl: sim.url,
    lifetimeToken: sim.token,
    taskQueue,
    heapMb: o.heapMb,
    maxCachedWorkflows: o.cache,
  });
  const dev = new ProcSampler(o.server.process.pid!, 1000).start();
  const self = new ProcSampler(process.pid, 1000).start();
  const polling = toWorkflowPolling(ADAPTIVE_DEFAULTS, o.speed);
  const level: Partial<ScaleLevel> = {
    n: o.n,
    heapMb: o.heapMb,
    cache: o.cache,
    speed: o.speed,
    durationLtMinutes: o.durationLtMinutes,
    polling,
  };
  try {
    level.workerStartMs = round(await worker.ready, 0);
    level.workerHeapLimitMB = worker.heapLimitMB;
    level.prebuiltBundle = worker.prebuiltBundle;
    o.log(
      `  part 3 · ${o.n} deployments${o.heapMb ? `, worker heap ${o.heapMb} MB` : ''}${o.cache !== undefined ? `, workflow cache ${o.cache}` : ''} (worker up in ${level.workerStartMs} ms)`,
    );
    const t0 = Date.now();
    const ids = names.map((n) => `${o.runId}-scale${label}-${n}`);
    await mapLimit(ids, 50, (id, i) =>
      startDeployment(o.client, taskQueue, id, request(apps.get(names[i]!)!, 'Production', polling, 'bench part 3')),
    );
    level.startSeconds = round((Date.now() - t0) / 1000, 1);
    const wallMs = (o.durationLtMinutes * 60_000) / o.speed;
    const until = Date.now() + wallMs * 4 + 300_000;
    let running = o.n;
    let lastLog = Date.now();
    while (running > 0 && Date.now() < until) {
      await sleep(2000);
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
        const how = worker.child.signalCode ?? `code ${worker.child.exitCode}`;
        level.workerExit = `worker exited (${how}) with ${running} deployments running; last log: ${worker.logs.recent.slice(-2).join(' · ') || '–'}`;
        o.log(`    ${level.workerExit}`);
        break;
      }
      running = (await o.client.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`)).count;
      if (Date.now() - lastLog > 30_000) {
        o.log(`    ${running} of ${o.n} still running`);
        lastLog = Date.now();
      }
    }
    const t1 = Date.now();
    level.loadAverage = os.loadavg().map((x) => round(x, 2));
    level.timedOut = running > 0 && !level.workerExit;
    if (running > 0) {
      o.log(`    ${level.timedOut ? 'timed out' : 'stopped'} with ${running} running; terminating them`);
      for await (const wf of o.client.workflow.list({
        query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`,
      }))
        await o.client.workflow
          .getHandle(wf.workflowId)
          .terminate('benchmark timeout')
          .catch(() => undefined);
    }
    let listed = await listAll(o.client, taskQueue);
    for (let i = 0; i < 10 && listed.some((l) => l.close === undefined && l.status !== 'RUNNING'); i++) {
      await sleep(1000);
      listed = await listAll(o.client, taskQueue);
    }
    const closes = listed.flatMap((l) => (l.close === undefined ? [] : [l.close]));
    const first = Math.min(...listed.map((l) => l.start));
    const makespan = closes.length ? (Math.max(...closes) - first) / 1000 : null;
    level.makespanSeconds = makespan === null ? null : round(makespan, 1);
    level.throughputPerMinute = makespan ? round((closes.length / makespan) * 60, 1) : null;
    level.statuses = count(listed.map((l) => l.status));
    level.outcomes = count(listed.map((l) => l.outcome));
    level.failed =
      listed.filter((l) => l.status !== 'COMPLETED' || l.outcome !== 'succeeded').length + (o.n - listed.length);

    const reqs = sim.requests();
    const byPlan = statusRequestsByPlan(reqs);
    const plans = sim.plans();
    const lat = plans.flatMap((p) => {
      const d = detection(p, byPlan.get(p.key) ?? [], o.speed);
      return d.latencyS === null ? [] : [d.latencyS];
    });
    level.latencyS = summarize(lat);
    const statusCount = sum([...byPlan.values()].map((l) => l.length));
    level.requests = {
      total: reqs.length,
      status: statusCount,
      perSecond: round(reqs.length / ((t1 - t0) / 1000), 1),
      non2xx: reqs.filter((r) => r.status < 200 || r.status >= 300).length,
      truncated: reqs.length >= 50_000,
    };
    level.worker = worker.sampler.window(t0, t1);
    level.workerMemory = worker.memoryAtPeak;
    level.devServer = dev.window(t0, t1);
    level.benchProcess = self.window(t0, t1);
    o.log(`    done in ${level.makespanSeconds} s; fetching ${Math.min(o.historySample, o.n)} histories`);
    const facts = (await historyFacts(o.client, evenSample(ids, o.historySample))).filter((f) => f !== undefined);
    level.sampledHistories = facts.length;
    level.fireLagMs = summarize(
      facts.flatMap((f) => f.fireLagMs),
      1,
    );
    level.pollLagMs = summarize(
      facts.flatMap((f) => f.pollLagMs),
      1,
    );
    level.eventsPerDeployment = summarize(
      facts.map((f) => f.events),
      0,
    );
    level.activityRetries = sum(facts.map((f) => f.activityRetries));
    level.activityFailures = sum(facts.map((f) => f.activityFailures));
    level.workflowTaskFailures = sum(facts.map((f) => f.workflowTaskFailures));
  } catch (err) {
    level.error = err instanceof Error ? err.message : String(err);
    o.log(`    level ${o.n} failed: ${level.error}`);
  } finally {
    dev.stop();
    self.stop();
    await worker.stop();
    level.worker ??= worker.sampler.window();
    level.workerLog = { warn: worker.logs.warn, error: worker.logs.error, recent: worker.logs.recent };
    await sim.close();
  }
  return level as ScaleLevel;
}
