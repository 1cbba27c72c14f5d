/**
 * `npm run bench -- --promotion [--quick] [--out <dir>] [--repeats N] [--plan-seconds S]` (issue 16, item 9): the
 * orchestration overhead of a release against the same route done as single-hop deployments, in the same run.
 *
 * On one Temporal dev server, one LifeTime simulator (speed 1: LifeTime time is wall time, and the product's own
 * polling defaults apply unscaled) and one worker (a child process), each repetition runs, in alternating order:
 *   - baseline: route length − 1 × `npx lifetime-deploy deploy --from route[i−1] --to route[i] --wait`, one CLI
 *     process per hop, back to back, as a CI pipeline would;
 *   - release: one `npx lifetime-deploy promote --through <route> --wait` (no promotion gate).
 * Same applications, same plan duration (a default simulator scenario scales the realistic profile to
 * --plan-seconds). The simulator is reset before every run (initial data, no plans, empty request log), so each
 * run deploys the versions afresh. Measured per run: wall time (first CLI spawn → last CLI exit), the LifeTime
 * deployment time of each plan (the simulator's startedAt → finishedAt), overhead = wall − ΣLifeTime, the history
 * events and billable-action equivalents of every workflow, plans created, LifeTime requests, worker CPU.
 * Writes promotion.json and PROMOTION.md (rendered from promotion.json alone) to --out (default bench/). Exit 1
 * when a deployment or a release does not succeed, or a run does not create exactly one plan per hop.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import * as prettier from 'prettier';
import { z } from 'zod';
import { PROJECT_ROOT } from '../src/dev/temporal-binaries';
import type { PlanView, RequestRecord } from '../src/simulator';
import type { DeployRequestInput, DeployResult } from '../src/workflows/messages';
import type { ReleaseResult } from '../src/workflows/release-messages';
import { resultWithin, startDeployment } from './deploy';
import { benchData, spawnWorker, startBenchSimulator, startDevServer, stopAll, track } from './env';
import type { HistoryFacts } from './history';
import { machineInfo } from './machine';
import { historyFacts, statusRequestsByPlan } from './measure';
import { renderPromotionReport } from './report-promotion';
import type { RunHeader } from './report-util';
import { ensureFreshBundle } from './startup';
import { mean, quantile, round, sum } from './stats';

const Args = z.strictObject({
  quick: z.boolean(),
  out: z.string().min(1),
  repeats: z.number().int().min(1).max(20),
  planSeconds: z.number().min(2).max(600),
});
export type PromotionArgs = z.infer<typeof Args>;

const USAGE = 'usage: npm run bench -- --promotion [--quick] [--out <dir>] [--repeats N] [--plan-seconds S]';

function parseArgs(argv: string[]): PromotionArgs {
  const quick = argv.includes('--quick');
  const raw: Record<string, unknown> = {
    quick,
    out: __dirname,
    repeats: quick ? 1 : 3,
    planSeconds: quick ? 5 : 30,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--quick' || a === '--promotion') continue;
    else if (a === '--out') raw.out = path.resolve(value());
    else if (a === '--repeats') raw.repeats = Number(value());
    else if (a === '--plan-seconds') raw.planSeconds = Number(value());
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
  }
  const r = Args.safeParse(raw);
  if (!r.success) throw new Error(`${z.prettifyError(r.error)}\n${USAGE}`);
  return r.data;
}

// ---- results --------------------------------------------------------------------------------------------------

export type Mode = 'baseline' | 'release';

export interface HopFigures {
  hop: number;
  source: string;
  target: string;
  planKey: string | null;
  planStatus: string | null;
  /** Workflow that made the plan: the hop's deployment (baseline) or the stage's child (release). */
  workflowId: string;
  /** Wall seconds from the run's start: the hop's workflow started, its plan created, started, finished, seen finished. */
  workflowStartedS: number | null;
  createdS: number | null;
  startedS: number | null;
  finishedS: number | null;
  detectedS: number | null;
  /** LifeTime deployment time of the plan (startedAt → finishedAt). */
  ltS: number | null;
  /** Plan finished → the first status request that saw it. */
  detectionS: number | null;
  /** From the previous hop's detection (the run's start for hop 1) to this hop's workflow start. */
  toWorkflowS: number | null;
  /** From this hop's workflow start to its plan's start in LifeTime (resolve, create, validate, start). */
  toPlanStartS: number | null;
  statusRequests: number;
}

export interface ProcessFigures {
  command: string;
  startS: number;
  endS: number;
  wallS: number;
  exitCode: number | null;
  signal: string | null;
  /** The last lines the process wrote (only kept when it failed). */
  tail?: string;
}

export interface WorkflowFigures {
  workflowId: string;
  type: 'deployApplications' | 'promoteRelease';
  role: string;
  outcome: string | null;
  events: number | null;
  actions: number | null;
  actionsByRule: Record<string, number>;
  activities: Record<string, number>;
  localActivities: Record<string, number>;
  timersStarted: number | null;
  upserts: number | null;
  polls: number | null;
}

export interface PromotionRun {
  repetition: number;
  mode: Mode;
  /** 1 or 2: whether this mode ran first or second in its repetition. */
  order: number;
  startedAt: string;
  wallS: number;
  sumLtS: number | null;
  overheadS: number | null;
  breakdown: {
    /** Run start → the first plan's start in LifeTime. */
    startupS: number | null;
    /** Σ plan finished → seen finished by a status request. */
    detectionS: number | null;
    /** Σ seen finished → the next hop's plan started. */
    handoverS: number | null;
    /** The last plan seen finished → the last CLI process exited. */
    wrapupS: number | null;
  };
  hops: HopFigures[];
  plansCreated: number;
  lifetimeRequests: number;
  statusRequests: number;
  requestsByRoute: Record<string, number>;
  processes: ProcessFigures[];
  workflows: WorkflowFigures[];
  events: number | null;
  actions: number | null;
  workerCpuS: number;
  outcome: string;
  errors: string[];
}

export interface Spread {
  n: number;
  median: number | null;
  mean: number | null;
  min: number | null;
  max: number | null;
}

export interface ModeSummary {
  runs: number;
  wallS: Spread;
  sumLtS: Spread;
  overheadS: Spread;
  startupS: Spread;
  detectionS: Spread;
  handoverS: Spread;
  wrapupS: Spread;
  events: Spread;
  actions: Spread;
  workflows: Spread;
  processes: Spread;
  plansCreated: Spread;
  lifetimeRequests: Spread;
  statusRequests: Spread;
  workerCpuS: Spread;
}

export interface PromotionResults extends RunHeader {
  runId: string;
  args: PromotionArgs;
  setup: {
    speed: number;
    /** The environments of the simulator's data, in order: the route of every run. */
    route: string[];
    hops: number;
    applications: { name: string; modules: number }[];
    cli: string;
    polling: string;
    taskQueue: string;
    worker: { startMs: number | null; prebuiltBundle: boolean | null };
    warmup: { wallS: number; outcome: string | null; cliWallS: number | null };
  };
  runs: PromotionRun[];
  summary: Record<Mode, ModeSummary>;
  errors: string[];
  /** Remarks about the run, added afterwards by the person who ran it (rendered under "Notes"). */
  notes?: string[];
}

// ---- the pieces of a run --------------------------------------------------------------------------------------

const CLI = ['npx', '--no', 'lifetime-deploy'];
const APPS = [
  { name: 'BenchPromoCore', modules: 3 },
  { name: 'BenchPromoPortal', modules: 4 },
  { name: 'BenchPromoReports', modules: 2 },
];
const WARMUP_APP = 'BenchPromoWarmup';

/** Runs `npx lifetime-deploy …` in its own process group; the process group is killed on timeout or stopAll. */
function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ startMs: number; endMs: number; exitCode: number | null; signal: string | null; output: string }> {
  const startMs = Date.now();
  const child = spawn(CLI[0]!, [...CLI.slice(1), ...args], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (d: Buffer): void => void (output = (output + d.toString()).slice(-6000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const stop = track(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup('SIGTERM');
    const late = setTimeout(() => killGroup('SIGKILL'), 5000);
    await exited;
    clearTimeout(late);
  });
  const timer = setTimeout(() => {
    output += `\n[bench] no exit within ${Math.round(timeoutMs / 1000)} s; stopped`;
    void stop();
  }, timeoutMs);
  return exited.then(async ({ code, signal }) => {
    clearTimeout(timer);
    await stop();
    return { startMs, endMs: Date.now(), exitCode: code, signal, output };
  });
}

function cliEnv(temporalAddress: string, taskQueue: string): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|LIFETIME_|LOG_|NODE_OPTIONS$)/.test(k)),
  );
  return {
    ...inherited,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    LIFETIME_DEPLOY_TASK_QUEUE: taskQueue,
  };
}

const seconds = (fromMs: number, toMs: number | undefined | null): number | null =>
  toMs === undefined || toMs === null || !Number.isFinite(toMs) || !Number.isFinite(fromMs)
    ? null
    : round((toMs - fromMs) / 1000, 2);
const at = (iso: string | undefined): number | null => (iso ? Date.parse(iso) : null);

function spread(values: (number | null)[]): Spread {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const r = (v: number | null): number | null => (v === null ? null : round(v, 2));
  return {
    n: xs.length,
    median: r(quantile(xs, 0.5)),
    mean: r(mean(xs)),
    min: r(xs.length ? Math.min(...xs) : null),
    max: r(xs.length ? Math.max(...xs) : null),
  };
}

function summarizeMode(runs: PromotionRun[]): ModeSummary {
  const of = (fn: (r: PromotionRun) => number | null): Spread => spread(runs.map(fn));
  return {
    runs: runs.length,
    wallS: of((r) => r.wallS),
    sumLtS: of((r) => r.sumLtS),
    overheadS: of((r) => r.overheadS),
    startupS: of((r) => r.breakdown.startupS),
    detectionS: of((r) => r.breakdown.detectionS),
    handoverS: of((r) => r.breakdown.handoverS),
    wrapupS: of((r) => r.breakdown.wrapupS),
    events: of((r) => r.events),
    actions: of((r) => r.actions),
    workflows: of((r) => r.workflows.length),
    processes: of((r) => r.processes.length),
    plansCreated: of((r) => r.plansCreated),
    lifetimeRequests: of((r) => r.lifetimeRequests),
    statusRequests: of((r) => r.statusRequests),
    workerCpuS: of((r) => r.workerCpuS),
  };
}

function workflowFigures(
  workflowId: string,
  type: WorkflowFigures['type'],
  role: string,
  outcome: string | null,
  h: HistoryFacts | undefined,
  polls: number | null,
): WorkflowFigures {
  return {
    workflowId,
    type,
    role,
    outcome,
    events: h?.events ?? null,
    actions: h?.actions ?? null,
    actionsByRule: h?.actionsByRule ?? {},
    activities: h?.activitiesByType ?? {},
    localActivities: h?.localActivitiesByType ?? {},
    timersStarted: h?.timersStarted ?? null,
    upserts: h?.upserts ?? null,
    polls,
  };
}

interface RunContext {
  client: Client;
  route: string[];
  env: NodeJS.ProcessEnv;
  planSeconds: number;
}

/** What the CLI processes of one run did; the figures come afterwards from the simulator and the histories. */
interface Executed {
  startMs: number;
  endMs: number;
  processes: ProcessFigures[];
  /** Per hop: the workflow that made its plan. */
  hopWorkflows: string[];
  workflows: {
    id: string;
    type: WorkflowFigures['type'];
    role: string;
    outcome: string | null;
    polls: number | null;
  }[];
  errors: string[];
}

const processFigures = (
  args: string[],
  r: Awaited<ReturnType<typeof runCli>>,
  startMs: number,
  failed: boolean,
): ProcessFigures => ({
  command: `${CLI.join(' ')} ${args[0]} …`,
  startS: round((r.startMs - startMs) / 1000, 2),
  endS: round((r.endMs - startMs) / 1000, 2),
  wallS: round((r.endMs - r.startMs) / 1000, 2),
  exitCode: r.exitCode,
  signal: r.signal,
  ...(failed ? { tail: r.output.trim().split('\n').slice(-15).join('\n') } : {}),
});

const appFlags = (): string[] => APPS.flatMap((a) => ['--app', a.name]);
const hopTimeoutMs = (c: RunContext): number => (c.planSeconds * 3 + 120) * 1000;

async function executeBaseline(c: RunContext, prefix: string): Promise<Executed> {
  const startMs = Date.now();
  let endMs = startMs;
  const ran: { id: string; hop: number; args: string[]; r: Awaited<ReturnType<typeof runCli>> }[] = [];
  for (let hop = 1; hop < c.route.length; hop++) {
    const id = `${prefix}-deploy-hop${hop}`;
    const args = [
      'deploy',
      ...appFlags(),
      '--from',
      c.route[hop - 1]!,
      '--to',
      c.route[hop]!,
      '--id',
      id,
      '--requested-by',
      'bench',
      '--notes',
      `bench promotion: baseline hop ${hop}`,
      '--wait',
    ];
    const r = await runCli(args, c.env, hopTimeoutMs(c));
    endMs = r.endMs;
    ran.push({ id, hop, args, r });
    if (r.exitCode !== 0) break; // a pipeline stops at the first failed step (its exit code says so)
  }
  // the results afterwards, so nothing but the CLI runs between two hops
  const processes: ProcessFigures[] = [];
  const workflows: Executed['workflows'] = [];
  const errors: string[] = [];
  for (const { id, hop, args, r } of ran) {
    const got = await resultWithin(c.client.workflow.getHandle(id), 10_000);
    const result = got.result as DeployResult | undefined;
    const failed = r.exitCode !== 0 || result?.outcome !== 'succeeded';
    processes.push(processFigures(args, r, startMs, failed));
    workflows.push({
      id,
      type: 'deployApplications',
      role: `hop ${hop}: ${c.route[hop - 1]} → ${c.route[hop]}`,
      outcome: result?.outcome ?? null,
      polls: result?.polls ?? null,
    });
    if (failed)
      errors.push(`${id}: CLI exit ${r.exitCode ?? r.signal}, outcome ${result?.outcome ?? got.error ?? 'unknown'}`);
  }
  return { startMs, endMs, processes, hopWorkflows: ran.map((x) => x.id), workflows, errors };
}

async function executeRelease(c: RunContext, prefix: string): Promise<Executed> {
  const startMs = Date.now();
  const id = `${prefix}-release`;
  const args = [
    'promote',
    ...appFlags(),
    '--through',
    c.route.join(','),
    '--id',
    id,
    '--requested-by',
    'bench',
    '--notes',
    'bench promotion: release',
    '--wait',
  ];
  const r = await runCli(args, c.env, hopTimeoutMs(c) * (c.route.length - 1));
  const failed = r.exitCode !== 0;
  const errors: string[] = [];
  const got = await resultWithin(c.client.workflow.getHandle(id), 10_000);
  const result = got.result as unknown as ReleaseResult | undefined;
  const workflows: Executed['workflows'] = [
    {
      id,
      type: 'promoteRelease',
      role: `release ${c.route.join(' → ')}`,
      outcome: result?.outcome ?? null,
      polls: null,
    },
  ];
  const hopWorkflows: string[] = [];
  for (const st of result?.stages ?? []) {
    hopWorkflows.push(st.workflowId);
    if (st.status !== 'deployed')
      errors.push(`${id} stage ${st.index}: ${st.status}${st.message ? ` (${st.message})` : ''}`);
    if (st.status === 'pending' || st.status === 'skipped') continue; // no child workflow
    let child: DeployResult | undefined;
    if (st.status === 'deployed' || st.status === 'stopped') {
      const f = await resultWithin(c.client.workflow.getHandle(st.workflowId), 10_000);
      child = f.result;
    }
    workflows.push({
      id: st.workflowId,
      type: 'deployApplications',
      role: `stage ${st.index}: ${st.source.name} → ${st.target.name} (child)`,
      outcome: child?.outcome ?? st.outcome ?? null,
      polls: child?.polls ?? null,
    });
  }
  if (failed || result?.outcome !== 'succeeded')
    errors.push(`${id}: CLI exit ${r.exitCode ?? r.signal}, outcome ${result?.outcome ?? got.error ?? 'unknown'}`);
  return {
    startMs,
    endMs: r.endMs,
    processes: [processFigures(args, r, startMs, failed || result?.outcome !== 'succeeded')],
    hopWorkflows,
    workflows,
    errors,
  };
}

/** The figures of one run, from what the simulator recorded and the fetched histories. */
async function measureRun(
  c: RunContext,
  x: Executed,
  plans: PlanView[],
  reqs: RequestRecord[],
  workerCpuS: number,
  meta: { repetition: number; mode: Mode; order: number },
): Promise<PromotionRun> {
  const errors = [...x.errors];
  const facts = await historyFacts(
    c.client,
    x.workflows.map((w) => w.id),
  );
  const factsById = new Map(x.workflows.map((w, i) => [w.id, facts[i]]));
  const workflows = x.workflows.map((w, i) => workflowFigures(w.id, w.type, w.role, w.outcome, facts[i], w.polls));
  for (const w of workflows) if (w.events === null) errors.push(`${w.workflowId}: history not fetched`);
  const own = plans.filter((p) => !p.foreign).sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const status = statusRequestsByPlan(reqs);
  const rel = (ms: number | null | undefined): number | null =>
    ms === null || ms === undefined ? null : seconds(x.startMs, ms);
  const hops: HopFigures[] = [];
  let prevMark: number | null = x.startMs;
  for (let hop = 1; hop < c.route.length; hop++) {
    const source = c.route[hop - 1]!;
    const target = c.route[hop]!;
    const plan = own.find((p) => p.targetEnvironmentName === target && p.sourceEnvironmentName === source);
    const workflowId = x.hopWorkflows[hop - 1] ?? '';
    const wfStart = factsById.get(workflowId)?.startMs;
    const started = at(plan?.startedAt);
    const finished = at(plan?.finishedAt);
    const times = plan ? (status.get(plan.key) ?? []) : [];
    const detected = finished === null ? null : (times.find((t) => t >= finished) ?? null);
    hops.push({
      hop,
      source,
      target,
      planKey: plan?.key ?? null,
      planStatus: plan?.status ?? null,
      workflowId,
      workflowStartedS: rel(wfStart),
      createdS: rel(at(plan?.createdAt)),
      startedS: rel(started),
      finishedS: rel(finished),
      detectedS: rel(detected),
      ltS: started === null ? null : seconds(started, finished),
      detectionS: finished === null ? null : seconds(finished, detected),
      toWorkflowS: prevMark === null || wfStart === undefined ? null : seconds(prevMark, wfStart),
      toPlanStartS: wfStart === undefined ? null : seconds(wfStart, started),
      statusRequests: times.length,
    });
    prevMark = detected;
    if (!plan) errors.push(`hop ${hop} (${source} → ${target}): no plan in LifeTime`);
    else if (plan.status !== 'finished_successful') errors.push(`hop ${hop}: plan ${plan.key} ended ${plan.status}`);
  }
  if (own.length !== c.route.length - 1) errors.push(`${own.length} plans created for ${c.route.length - 1} hops`);
  const wallS = round((x.endMs - x.startMs) / 1000, 2);
  const complete = <T>(xs: (T | null)[]): xs is T[] => xs.every((v) => v !== null);
  const lts = hops.map((h) => h.ltS);
  const sumLtS = complete(lts) ? round(sum(lts), 2) : null;
  const detections = hops.map((h) => h.detectionS);
  const first = hops[0]?.startedS ?? null;
  const handovers = hops
    .slice(1)
    .map((h, i) => (h.startedS === null || hops[i]!.detectedS === null ? null : h.startedS - hops[i]!.detectedS!));
  const last = hops.at(-1)?.detectedS ?? null;
  const requestsByRoute: Record<string, number> = {};
  for (const r of reqs) {
    const k = `${r.method} ${r.route ?? r.path}`;
    requestsByRoute[k] = (requestsByRoute[k] ?? 0) + 1;
  }
  const events = workflows.map((w) => w.events);
  const actions = workflows.map((w) => w.actions);
  return {
    ...meta,
    startedAt: new Date(x.startMs).toISOString(),
    wallS,
    sumLtS,
    overheadS: sumLtS === null ? null : round(wallS - sumLtS, 2),
    breakdown: {
      startupS: first,
      detectionS: complete(detections) ? round(sum(detections), 2) : null,
      handoverS: complete(handovers) ? round(sum(handovers), 2) : null,
      wrapupS: last === null ? null : round(wallS - last, 2),
    },
    hops,
    plansCreated: own.length,
    lifetimeRequests: reqs.length,
    statusRequests: [...status.values()].reduce((s, v) => s + v.length, 0),
    requestsByRoute,
    processes: x.processes,
    workflows,
    events: complete(events) ? sum(events) : null,
    actions: complete(actions) ? sum(actions) : null,
    workerCpuS: round(workerCpuS, 2),
    outcome: errors.length ? 'failed' : 'succeeded',
    errors,
  };
}

// ---- the benchmark ----------------------------------------------------------------------------------------------

async function writeFiles(results: PromotionResults, dir: string): Promise<void> {
  // formatted like the rest of the repository (`npm run format:check` covers bench/)
  const style = (await prettier.resolveConfig(path.join(__dirname, 'PROMOTION.md'))) ?? {};
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'promotion.json'),
    await prettier.format(JSON.stringify(results), { ...style, parser: 'json' }),
  );
  await renderPromotionFile(path.join(dir, 'promotion.json'));
}

/** PROMOTION.md next to a promotion.json, from that file alone. */
export async function renderPromotionFile(file: string): Promise<void> {
  const results = JSON.parse(readFileSync(file, 'utf8')) as PromotionResults;
  const style = (await prettier.resolveConfig(path.join(__dirname, 'PROMOTION.md'))) ?? {};
  writeFileSync(
    path.join(path.dirname(file), 'PROMOTION.md'),
    await prettier.format(renderPromotionReport(results), { ...style, parser: 'markdown' }),
  );
}

export async function runPromotion(argv: string[], command: string): Promise<number> {
  const args = parseArgs(argv);
  const started = Date.now();
  const log = (line: string): void =>
    void process.stderr.write(`[bench promotion +${Math.round((Date.now() - started) / 1000)}s] ${line}\n`);
  const stamp = new Date(started).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const runId = `bench-promo-${stamp}-${Math.random().toString(16).slice(2, 6)}`;
  const taskQueue = `${runId}-queue`;
  const errors: string[] = [];
  const runs: PromotionRun[] = [];
  const machine = machineInfo();
  log(
    `${args.quick ? 'quick' : 'full'} mode: ${args.repeats} repetition(s), plans of ${args.planSeconds} s; results to ${args.out}`,
  );
  const server = await startDevServer();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  let setup: PromotionResults['setup'];
  try {
    const { data } = benchData([...APPS, { name: WARMUP_APP, modules: 1 }]);
    // every plan gets a fresh key, also after a reset (the seed names the first plan's key)
    const sim = await startBenchSimulator({ ...data, firstDeploymentKey: undefined }, 1);
    const route = [...sim.data().environments]
      .map((e, i) => ({ name: e.name, order: e.order ?? i }))
      .sort((a, b) => a.order - b.order)
      .map((e) => e.name);
    if (route.length < 2) throw new Error(`the simulator's data has ${route.length} environment(s); a route needs 2`);
    log(`route ${route.join(' → ')} (${route.length - 1} hops); applications ${APPS.map((a) => a.name).join(', ')}`);
    await ensureFreshBundle(log);
    const worker = spawnWorker({
      temporalAddress: server.address,
      lifetimeUrl: sim.url,
      lifetimeToken: sim.token,
      taskQueue,
    });
    const workerStartMs = await worker.ready;
    log(`worker started in ${Math.round(workerStartMs)} ms`);
    const c: RunContext = {
      client,
      route,
      env: cliEnv(server.address, taskQueue),
      planSeconds: args.planSeconds,
    };

    // Warm-up, not measured: the worker's first workflow and LifeTime connection, and a first CLI start (tsx's
    // cache, the file cache), so neither way pays them in its first run.
    sim.setScenario({ application: WARMUP_APP, durationMs: 2000 });
    const warmStart = Date.now();
    const warmReq: DeployRequestInput = {
      applications: [{ app: WARMUP_APP }],
      source: route[0]!,
      target: route[1]!,
      requestedBy: 'bench',
      notes: 'bench promotion: warm-up',
    };
    const warm = await resultWithin(await startDeployment(client, taskQueue, `${runId}-warmup`, warmReq), 120_000);
    const warmCli = await runCli(['--help'], c.env, 60_000);
    setup = {
      speed: 1,
      route,
      hops: route.length - 1,
      applications: APPS,
      cli: CLI.join(' '),
      polling: 'the product defaults: first poll 2 s, then 2 s × 1.6 per poll up to 30 s, 2 s in the final phase',
      taskQueue,
      worker: { startMs: Math.round(workerStartMs), prebuiltBundle: worker.prebuiltBundle ?? null },
      warmup: {
        wallS: round((Date.now() - warmStart) / 1000, 2),
        outcome: warm.result?.outcome ?? warm.error ?? null,
        cliWallS: warmCli.exitCode === 0 ? round((warmCli.endMs - warmCli.startMs) / 1000, 2) : null,
      },
    };
    if (warm.result?.outcome !== 'succeeded') errors.push(`warm-up deployment: ${warm.result?.outcome ?? warm.error}`);
    log(`warm-up: ${setup.warmup.wallS} s (${setup.warmup.outcome})`);

    for (let rep = 1; rep <= args.repeats && !errors.length; rep++) {
      // alternate which way goes first, so neither always runs on a fresher or a busier machine
      const order: Mode[] = rep % 2 === 1 ? ['baseline', 'release'] : ['release', 'baseline'];
      for (const [i, mode] of order.entries()) {
        sim.reset();
        sim.setScenario({ durationMs: args.planSeconds * 1000 });
        const prefix = `${runId}-r${rep}`;
        log(`repetition ${rep}/${args.repeats}: ${mode}`);
        const x = mode === 'baseline' ? await executeBaseline(c, prefix) : await executeRelease(c, prefix);
        const cpu = worker.sampler.window(x.startMs, x.endMs + 500).cpuSeconds;
        const run = await measureRun(c, x, sim.plans(), sim.requests(), cpu, { repetition: rep, mode, order: i + 1 });
        runs.push(run);
        log(
          `  ${mode}: wall ${run.wallS} s, ΣLifeTime ${run.sumLtS ?? '–'} s, overhead ${run.overheadS ?? '–'} s, ` +
            `${run.events ?? '–'} events, ${run.plansCreated} plans, ${run.lifetimeRequests} LifeTime requests — ${run.outcome}`,
        );
        errors.push(...run.errors.map((e) => `repetition ${rep} ${mode}: ${e}`));
      }
    }
    await worker.stop();
    await sim.close();
  } finally {
    await connection.close().catch(() => undefined);
    await stopAll();
  }
  const results: PromotionResults = {
    schema: 1,
    mode: args.quick ? 'quick' : 'full',
    command,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine,
    runId,
    args,
    setup,
    runs,
    summary: {
      baseline: summarizeMode(runs.filter((r) => r.mode === 'baseline')),
      release: summarizeMode(runs.filter((r) => r.mode === 'release')),
    },
    errors,
  };
  if (!runs.length) errors.push('no run completed');
  await writeFiles(results, args.out);
  log(`wrote ${path.join(args.out, 'promotion.json')} and PROMOTION.md in ${results.durationSeconds} s`);
  for (const e of errors) log(`error: ${e}`);
  return errors.length ? 1 : 0;
}
