/**
 * The pieces the benchmark runs on: the Temporal dev server (free loopback ports, in memory), the LifeTime
 * simulator with a data set that adds benchmark applications to the seed, and the worker as a child process
 * (bench/worker-child.ts → src/worker.ts main()), whose own RSS/CPU the benchmark samples from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { freePort, startTemporalDevServer, stopChildProcess, type DevServer } from '../src/dev/dev-server';
import { PROJECT_ROOT } from '../src/dev/temporal-binaries';
import { SEED_INPUT, SEED_KEYS, startSimulator, type SimDataInput, type SimulatorHandle } from '../src/simulator';
import { stableUuid } from '../src/simulator/util';
import { ProcSampler } from './proc';

/** Everything started here, stopped by `stopAll` (also on a timeout or Ctrl-C). */
const stoppers = new Set<() => Promise<void>>();
export async function stopAll(): Promise<void> {
  for (const stop of [...stoppers].reverse()) await stop().catch(() => undefined);
  stoppers.clear();
}
/** Registers a stop function with `stopAll`; the returned function stops once and unregisters it. */
export function track(stop: () => Promise<void>): () => Promise<void> {
  const once = async (): Promise<void> => {
    stoppers.delete(once);
    await stop();
  };
  stoppers.add(once);
  return once;
}

export async function startDevServer(): Promise<DevServer> {
  const server = await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
  const stop = track(() => server.stop());
  return { ...server, stop };
}

// ---- data ----------------------------------------------------------------------------------------------------

export interface BenchApp {
  name: string;
  key: string;
  versionKey: string;
  modules: number;
  moduleBase: string;
}

/**
 * An application running version 1.0 in Development, with `modules` eSpaces named `<moduleBase>_M<n>`. Apps
 * with the same module base and count have the same realistic profile (module durations depend on the name).
 */
function benchApp(
  name: string,
  modules: number,
  moduleBase = name,
): { app: SimDataInput['applications'][number]; ref: BenchApp } {
  const key = stableUuid('bench-app', name);
  const versionKey = stableUuid('bench-version', name, '1.0');
  return {
    ref: { name, key, versionKey, modules, moduleBase },
    app: {
      key,
      name,
      team: 'Benchmark',
      modules: Array.from({ length: modules }, (_, j) => ({
        key: stableUuid('bench-module', name, String(j)),
        name: `${moduleBase}_M${String(j + 1).padStart(2, '0')}`,
      })),
      versions: [
        {
          key: versionKey,
          version: '1.0',
          changeLog: 'benchmark build',
          createdOn: '2025-01-06T09:00:00.000Z',
          environment: SEED_KEYS.development,
        },
      ],
      environments: [{ environment: SEED_KEYS.development, version: versionKey }],
    },
  };
}

/** The seed data plus benchmark applications. */
export function benchData(apps: { name: string; modules: number; moduleBase?: string }[]): {
  data: SimDataInput;
  apps: Map<string, BenchApp>;
} {
  const built = apps.map((a) => benchApp(a.name, a.modules, a.moduleBase));
  return {
    data: { ...SEED_INPUT, applications: [...SEED_INPUT.applications, ...built.map((b) => b.app)] },
    apps: new Map(built.map((b) => [b.ref.name, b.ref])),
  };
}

export async function startBenchSimulator(
  data: SimDataInput,
  speed: number,
  parallelLimit = 10_000,
): Promise<SimulatorHandle> {
  const sim = await startSimulator({ host: '127.0.0.1', port: 0, speed, progression: 'wall', parallelLimit, data });
  const stop = track(() => sim.close());
  return { ...sim, close: stop };
}

// ---- worker child -----------------------------------------------------------------------------------------------

export interface WorkerLogStats {
  lines: number;
  warn: number;
  error: number;
  /** The last few WARN/ERROR messages (the worker never logs the token). */
  recent: string[];
}

export interface WorkerMemory {
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
}

export interface WorkerChild {
  pid: number;
  child: ChildProcess;
  /** ms from spawn to the worker's `worker started` log line. */
  ready: Promise<number>;
  /** What the `worker started` line said about the prebuilt bundle (once it is logged). */
  prebuiltBundle?: boolean;
  /** The worker process's V8 heap limit (logged by worker-child.ts at start). */
  heapLimitMB?: number;
  /** process.memoryUsage() of the worker (logged by worker-child.ts every 2 s): the sample with the highest RSS. */
  memoryAtPeak?: WorkerMemory;
  sampler: ProcSampler;
  logs: WorkerLogStats;
  stop(): Promise<number | null>;
}

export interface WorkerEnv {
  temporalAddress: string;
  lifetimeUrl: string;
  lifetimeToken: string;
  taskQueue: string;
  /** Hide dist/workflow-bundle.js: the worker bundles the workflow code at start. */
  noPrebuiltBundle?: boolean;
  /** V8 heap limit of the worker (`--max-old-space-size`); the SDK sizes its workflow cache from it. */
  heapMb?: number;
  /** LIFETIME_DEPLOY_MAX_CACHED_WORKFLOWS for the worker. */
  maxCachedWorkflows?: number;
  readyTimeoutMs?: number;
}

export function spawnWorker(w: WorkerEnv): WorkerChild {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|LIFETIME_|LOG_|NODE_OPTIONS$)/.test(k)),
  );
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    TEMPORAL_ADDRESS: w.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    LIFETIME_URL: w.lifetimeUrl,
    LIFETIME_TOKEN: w.lifetimeToken,
    LIFETIME_DEPLOY_TASK_QUEUE: w.taskQueue,
    LOG_LEVEL: 'INFO',
    LOG_FORMAT: 'json',
    BENCH_NO_PREBUILT_BUNDLE: w.noPrebuiltBundle ? '1' : '0',
    ...(w.heapMb ? { NODE_OPTIONS: `--max-old-space-size=${w.heapMb}` } : {}),
    ...(w.maxCachedWorkflows !== undefined
      ? { LIFETIME_DEPLOY_MAX_CACHED_WORKFLOWS: String(w.maxCachedWorkflows) }
      : {}),
  };
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'worker-child.ts')], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: WorkerLogStats = { lines: 0, warn: 0, error: 0, recent: [] };
  let resolveReady!: (ms: number) => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<number>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => undefined);
  const timeout = setTimeout(
    () => rejectReady(new Error(`worker did not log "worker started" within ${w.readyTimeoutMs ?? 180_000} ms`)),
    w.readyTimeoutMs ?? 180_000,
  );
  let buffer = '';
  let tail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      logs.lines += 1;
      let entry:
        | ({ level?: string; message?: string; prebuiltBundle?: boolean; heapLimitMB?: number } & Partial<WorkerMemory>)
        | undefined;
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        tail = (tail + line + '\n').slice(-2000);
      }
      if (entry?.message === 'bench worker heap limit') handle.heapLimitMB = entry.heapLimitMB;
      if (entry?.message === 'bench worker memory') {
        logs.lines -= 1; // a benchmark sample, not a worker log line
        const m = entry as WorkerMemory;
        if (!handle.memoryAtPeak || m.rssMB > handle.memoryAtPeak.rssMB) {
          handle.memoryAtPeak = {
            rssMB: m.rssMB,
            heapUsedMB: m.heapUsedMB,
            heapTotalMB: m.heapTotalMB,
            externalMB: m.externalMB,
          };
        }
        continue;
      }
      if (entry?.message === 'worker started') {
        handle.prebuiltBundle = entry.prebuiltBundle;
        clearTimeout(timeout);
        resolveReady(performance.now() - spawnedAt);
      }
      const level = entry?.level ?? (/error/i.test(line) ? 'ERROR' : 'INFO');
      if (level === 'WARN' || level === 'ERROR') {
        if (level === 'WARN') logs.warn += 1;
        else logs.error += 1;
        logs.recent = [...logs.recent, `${level} ${(entry?.message ?? line).slice(0, 300)}`].slice(-10);
      }
    }
  });
  child.once('exit', (code) => {
    clearTimeout(timeout);
    rejectReady(new Error(`worker exited with code ${code} before it started\n${tail}`));
  });
  const sampler = new ProcSampler(child.pid!, 500).start();
  const stop = track(() => {
    sampler.stop();
    return stopChildProcess(child, 20_000);
  });
  const handle: WorkerChild = {
    pid: child.pid!,
    child,
    ready,
    sampler,
    logs,
    stop: async () => {
      await stop();
      return child.exitCode;
    },
  };
  return handle;
}
