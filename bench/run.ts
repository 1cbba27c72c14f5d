/**
 * `npm run bench [-- --quick] [--out <dir>] …`: the benchmark of issue 8. Starts the Temporal dev server, the
 * LifeTime simulator and the worker (a child process, so its RSS/CPU are its own), runs
 *   1. detection latency and LifeTime load (adaptive vs fixed 20 s polling, optional candidate policies),
 *   2. orchestration cost (history events, billable-action equivalents; the cost of a waiting gate),
 *   3. scale (N concurrent deployments on one worker),
 *   4. worker start time with and without the prebuilt workflow bundle,
 * and writes results.json and REPORT.md to --out (default: bench/). Every figure comes from the run: the
 * simulator's request log and plan views, fetched histories, /proc of the worker. Targets are reported, never
 * asserted; the exit code is 1 only when the benchmark could not run or a deployment failed.
 * `npm run bench -- --factory [flags]` runs bench/factory.ts instead: LifeTime requests and bytes of steps 1–4 by
 * factory size (writes factory.json and FACTORY.md; no Temporal server).
 * `npm run bench -- --promotion [--quick] [--out <dir>] [--repeats N] [--plan-seconds S]` runs bench/promotion.ts
 * instead: a release (`promote --wait`) against the same route as single-hop `deploy --wait` processes (writes
 * promotion.json and PROMOTION.md).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import * as prettier from 'prettier';
import { z } from 'zod';
import { ADAPTIVE_DEFAULTS, FIXED_20S, parsePolicy, type PolicyLT } from './deploy';
import { benchData, spawnWorker, startBenchSimulator, startDevServer, stopAll } from './env';
import { runFactory } from './factory';
import { moduleSpread, profileMinutes, runPolicies, slotApp, slotBase, type PolicyRun, type Slot } from './latency';
import { machineInfo } from './machine';
import type { Ctx } from './measure';
import { runOrchestration, type OrchestrationResult } from './orchestration';
import { renderPromotionFile, runPromotion } from './promotion';
import type { WindowStats } from './proc';
import { renderReport } from './report';
import type { RunHeader } from './report-util';
import { runScaleLevel, type ScaleLevel } from './scale';
import { ensureFreshBundle, measureStartup, type StartupResult } from './startup';

const Args = z.strictObject({
  quick: z.boolean(),
  out: z.string().min(1),
  speed: z.number().min(1).max(40, { error: '--speed: at most 40 (2 s LifeTime must stay ≥ 0.05 s of workflow time)' }),
  set: z.number().int().min(1).max(60),
  /** Part 1 plan totals in LifeTime minutes (cycled over the set) instead of the realistic profile's. */
  planMinutes: z.array(z.number().positive()).optional(),
  /** Part 2 seed and gate plans: this total instead of their realistic profile. */
  seedMinutes: z.number().positive().optional(),
  candidates: z.array(z.string()),
  scale: z.array(z.number().int().min(1).max(5000)),
  /**
   * Extra levels "N@heapMB[@cache]": N deployments on a worker whose V8 heap is limited (the SDK then sizes a smaller
   * workflow cache) and, with @cache, whose workflow cache holds that many workflows. heapMB "-" keeps the default heap.
   */
  scaleHeap: z.array(
    z.object({
      n: z.number().int().min(1).max(5000),
      heapMb: z.number().int().min(128).max(16_384).optional(),
      cache: z.number().int().min(0).max(100_000).optional(),
    }),
  ),
  scaleSpeed: z.number().min(1).max(40),
  scaleMinutes: z.number().min(0.25).max(60),
  gateWaitMinutes: z.number().min(0.25).max(60),
  historySample: z.number().int().min(1).max(5000),
  startupRepeats: z.number().int().min(0).max(10),
  long: z.boolean(),
  parts: z.array(z.enum(['1', '2', '3', '4'])),
});
export type Args = z.infer<typeof Args>;

const USAGE = `usage: npm run bench -- [--quick] [--out <dir>] [--speed S] [--set N] [--candidate first,min,max,backoff]…
                      [--scale 100,500,1000] [--scale-heap N@MB[@cache],…] [--scale-speed S] [--scale-minutes M] [--gate-wait-minutes M]
                      [--plan-minutes a,b,…] [--seed-minutes M] [--long|--no-long]
                      [--history-sample N] [--startup-repeats N] [--parts 1,2,3,4]
       npm run bench -- --factory [--sizes 0,1000,5000] [--repeats N] [--out <dir>] [--app <name>] [--from <env>] [--to <env>]
       npm run bench -- --promotion [--quick] [--out <dir>] [--repeats N] [--plan-seconds S]
       npm run bench -- --render <results.json> | --render-promotion <promotion.json>`;

function parseArgs(argv: string[]): Args {
  const quick = argv.includes('--quick');
  const raw: Record<string, unknown> = {
    quick,
    out: path.join(__dirname),
    speed: 2,
    set: quick ? 3 : 24,
    planMinutes: quick ? [0.75, 1, 1.25] : undefined,
    seedMinutes: quick ? 1 : undefined,
    candidates: [],
    scale: quick ? [20, 50] : [100, 500, 1000],
    scaleHeap: [],
    scaleSpeed: 2,
    scaleMinutes: quick ? 0.75 : 5,
    gateWaitMinutes: quick ? 0.5 : 10,
    historySample: quick ? 50 : 200,
    startupRepeats: quick ? 1 : 3,
    long: !quick,
    parts: ['1', '2', '3', '4'],
  };
  const numbers = (s: string): number[] => s.split(',').map((x) => Number(x.trim()));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--quick') continue;
    else if (a === '--out') raw.out = path.resolve(value());
    else if (a === '--speed') raw.speed = Number(value());
    else if (a === '--set') raw.set = Number(value());
    else if (a === '--candidate') (raw.candidates as string[]).push(value());
    else if (a === '--scale') {
      const v = value();
      raw.scale = v === 'none' ? [] : numbers(v);
    } else if (a === '--scale-heap') {
      const v = value();
      raw.scaleHeap =
        v === 'none'
          ? []
          : v.split(',').map((x) => {
              const [n, heapMb, cache] = x.split('@');
              return {
                n: Number(n),
                heapMb: heapMb === undefined || heapMb === '-' ? undefined : Number(heapMb),
                cache: cache === undefined ? undefined : Number(cache),
              };
            });
    } else if (a === '--scale-speed') raw.scaleSpeed = Number(value());
    else if (a === '--scale-minutes') raw.scaleMinutes = Number(value());
    else if (a === '--gate-wait-minutes') raw.gateWaitMinutes = Number(value());
    else if (a === '--history-sample') raw.historySample = Number(value());
    else if (a === '--startup-repeats') raw.startupRepeats = Number(value());
    else if (a === '--plan-minutes') raw.planMinutes = numbers(value());
    else if (a === '--seed-minutes') raw.seedMinutes = Number(value());
    else if (a === '--long') raw.long = true;
    else if (a === '--no-long') raw.long = false;
    else if (a === '--parts') raw.parts = value().split(',');
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
  }
  const r = Args.safeParse(raw);
  if (!r.success) throw new Error(`${z.prettifyError(r.error)}\n${USAGE}`);
  for (const c of r.data.candidates) parsePolicy(c);
  return r.data;
}

export interface Results extends RunHeader {
  args: Args;
  runId: string;
  part1?: { speed: number; policies: PolicyRun[] };
  part2?: OrchestrationResult & { speed: number };
  part3?: ScaleLevel[];
  part4?: StartupResult;
  mainWorker?: WindowStats & {
    startMs: number | null;
    prebuiltBundle?: boolean;
    warn: number;
    error: number;
    recent: string[];
  };
  errors: string[];
  /** Remarks about the run, e.g. added afterwards by the person who ran it (rendered under "Notes"). */
  notes?: string[];
}

function commandLine(argv: string[]): string {
  const q = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const args = argv.map(q).join(' ');
  return process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${args ? ` -- ${args}` : ''}`
    : `tsx bench/run.ts${args ? ` ${args}` : ''}`;
}

async function writeReport(results: Results, dir: string): Promise<void> {
  // formatted like the rest of the repository (`npm run format:check` covers bench/REPORT.md)
  const style = (await prettier.resolveConfig(path.join(__dirname, 'REPORT.md'))) ?? {};
  writeFileSync(
    path.join(dir, 'REPORT.md'),
    await prettier.format(renderReport(results), { ...style, parser: 'markdown' }),
  );
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--render') {
    // REPORT.md again from an existing results.json (same run, same figures)
    const file = path.resolve(argv[1] ?? path.join(__dirname, 'results.json'));
    await writeReport(JSON.parse(readFileSync(file, 'utf8')) as Results, path.dirname(file));
    return 0;
  }
  if (argv[0] === '--render-promotion') {
    // PROMOTION.md again from an existing promotion.json
    await renderPromotionFile(path.resolve(argv[1] ?? path.join(__dirname, 'promotion.json')));
    return 0;
  }
  if (argv.includes('--promotion')) {
    // a release against the same route as single-hop deployments, one CLI process each (bench/promotion.ts)
    return runPromotion(
      argv.filter((a) => a !== '--promotion'),
      commandLine(argv),
    );
  }
  if (argv[0] === '--factory') {
    // LifeTime traffic of steps 1–4 on factories of growing size (bench/factory.ts; no Temporal server needed)
    return runFactory(argv.slice(1));
  }
  const args = parseArgs(argv);
  const started = Date.now();
  const log = (line: string): void =>
    void process.stderr.write(`[bench +${Math.round((Date.now() - started) / 1000)}s] ${line}\n`);
  const stamp = new Date(started).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const runId = `bench-${stamp}-${Math.random().toString(16).slice(2, 6)}`;
  const results: Results = {
    schema: 1,
    mode: args.quick ? 'quick' : 'full',
    command: commandLine(argv),
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationSeconds: 0,
    machine: machineInfo(),
    args,
    runId,
    errors: [],
  };
  const parts = new Set(args.parts);
  log(`${results.mode} mode; results to ${args.out}`);
  const server = await startDevServer();
  log(`Temporal dev server at ${server.address}`);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  try {
    // ---- parts 1, 2 and 4 share one simulator (speed S) ----------------------------------------------------
    const policies: PolicyLT[] = [ADAPTIVE_DEFAULTS, FIXED_20S, ...args.candidates.map(parsePolicy)];
    const slots: Slot[] = moduleSpread(args.set).map((modules, i) => ({
      modules,
      minutes: args.planMinutes?.[i % args.planMinutes.length],
    }));
    const tenModules = Array.from({ length: 30 }, (_, i) => i + 1).reduce((best, m) =>
      Math.abs(profileMinutes('BenchTenRealistic', m) - 10) < Math.abs(profileMinutes('BenchTenRealistic', best) - 10)
        ? m
        : best,
    );
    const { data, apps } = benchData([
      ...policies.flatMap((_, p) =>
        slots.map((slot, i) => ({ name: slotApp(p, i), modules: slot.modules, moduleBase: slotBase(i) })),
      ),
      { name: 'BenchTenMinutes', modules: 1 },
      { name: 'BenchTenRealistic', modules: tenModules },
      { name: 'BenchOneHour', modules: 1 },
    ]);
    const sim = await startBenchSimulator(data, args.speed);
    const env = { temporalAddress: server.address, lifetimeUrl: sim.url, lifetimeToken: sim.token };
    if (parts.has('4') && args.startupRepeats > 0) {
      results.part4 = await measureStartup({ ...env, taskQueue: `${runId}-startup` }, args.startupRepeats, log);
      results.errors.push(...results.part4.errors.map((e) => `part 4: ${e}`));
    }
    if (parts.has('1') || parts.has('2')) {
      await ensureFreshBundle(log);
      const taskQueue = `${runId}-main`;
      const worker = spawnWorker({ ...env, taskQueue });
      const startMs = await worker.ready;
      const ctx: Ctx = { client, sim, taskQueue, speed: args.speed, runId, log };
      const [p1, p2] = await Promise.all([
        parts.has('1') ? runPolicies(ctx, policies, slots, apps) : undefined,
        parts.has('2')
          ? runOrchestration(ctx, {
              gateWaitLtS: args.gateWaitMinutes * 60,
              long: args.long,
              seedMinutes: args.seedMinutes,
              tenRealistic: { app: 'BenchTenRealistic', minutes: profileMinutes('BenchTenRealistic', tenModules) },
            })
          : undefined,
      ]);
      if (p1) results.part1 = { speed: args.speed, policies: p1 };
      if (p2) results.part2 = { speed: args.speed, ...p2 };
      await worker.stop();
      results.mainWorker = {
        ...worker.sampler.window(),
        startMs: Math.round(startMs),
        prebuiltBundle: worker.prebuiltBundle,
        warn: worker.logs.warn,
        error: worker.logs.error,
        recent: worker.logs.recent,
      };
    }
    await sim.close();
    // ---- part 3 ---------------------------------------------------------------------------------------------
    if (parts.has('3')) {
      results.part3 = [];
      const levels = [...args.scale.map((n) => ({ n, heapMb: undefined, cache: undefined })), ...args.scaleHeap];
      for (const { n, heapMb, cache } of levels) {
        results.part3.push(
          await runScaleLevel({
            client,
            server,
            runId,
            n,
            heapMb,
            cache,
            speed: args.scaleSpeed,
            durationLtMinutes: args.scaleMinutes,
            historySample: args.historySample,
            log,
          }),
        );
      }
    }
  } finally {
    await connection.close().catch(() => undefined);
    await stopAll();
  }
  for (const p of results.part1?.policies ?? [])
    for (const d of p.deployments)
      if (d.error || d.outcome !== 'succeeded')
        results.errors.push(`part 1 ${p.policy.name} ${d.app}: ${d.error ?? d.outcome}`);
  for (const c of results.part2?.cases ?? [])
    if (c.error || c.outcome !== 'succeeded') results.errors.push(`part 2 ${c.name}: ${c.error ?? c.outcome}`);
  for (const l of results.part3 ?? []) {
    if (l.error) results.errors.push(`part 3 (${l.n}): ${l.error}`);
    else if (l.workerExit)
      results.errors.push(`part 3 (${l.n}${l.heapMb ? `, heap ${l.heapMb} MB` : ''}): ${l.workerExit}`);
    else if (l.failed) results.errors.push(`part 3 (${l.n}): ${l.failed} deployments did not succeed`);
  }
  results.finishedAt = new Date().toISOString();
  results.durationSeconds = Math.round((Date.now() - started) / 1000);
  mkdirSync(args.out, { recursive: true });
  writeFileSync(path.join(args.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeReport(results, args.out);
  log(`wrote ${path.join(args.out, 'results.json')} and REPORT.md in ${results.durationSeconds} s`);
  for (const e of results.errors) log(`error: ${e}`);
  return results.errors.length ? 1 : 0;
}

// Hard limit: the benchmark always stops by itself.
const quickRun = process.argv.includes('--quick');
const watchdog = setTimeout(
  () => {
    process.stderr.write('[bench] hard time limit reached; stopping\n');
    void stopAll().finally(() => process.exit(1));
  },
  (quickRun ? 10 : 150) * 60_000,
);
watchdog.unref();
process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
process.once('SIGTERM', () => void stopAll().finally(() => process.exit(143)));

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);
