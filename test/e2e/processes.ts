/**
 * End-to-end helpers: the product's real processes, started the way a user starts them.
 *  - the Temporal dev server (`temporal server start-dev`, free ports, in memory),
 *  - the LifeTime simulator as a child process (`node --import tsx src/simulator/main.ts --port 0 …`),
 *  - the worker as a child process (`node --import tsx src/worker.ts`, configured from the environment only;
 *    the token comes from LIFETIME_TOKEN_FILE, so it is in no process argument and no environment variable),
 *  - the CLI as a child process (`node bin/lifetime-deploy.js …`).
 * Every child is tracked; `killAll()` / `stopEverything()` end them and `survivors()` proves it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort, startTemporalDevServer, type DevServer } from '../../src/dev/dev-server';
import { ensureTemporalBinaries } from '../../src/dev/temporal-binaries';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI_ENTRY = path.join(ROOT, 'bin', 'lifetime-deploy.js');
/** Path of the plan-creation endpoint in the simulator's request log. */
export const CREATE_PATH = /^\/lifetimeapi\/rest\/v2\/deployments\/?$/;

// ------------------------------------------------------------------------------------------------------------
// Child processes

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr, interleaved in arrival order. */
  output(): string;
  exited: Promise<Exit>;
  hasExited(): boolean;
  /** Waits until `pattern` shows in a stream; rejects (with the output so far) on exit or timeout. */
  waitFor(
    pattern: RegExp | string,
    opts?: { stream?: 'stdout' | 'stderr' | 'both'; timeoutMs?: number },
  ): Promise<string>;
  /** Sends `signal` to the child's whole process group. */
  kill(signal?: NodeJS.Signals): void;
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
}

const tracked = new Set<Child>();
const everyPid = new Set<number>();
/** Process groups of every child spawned here (each child leads its own group). */
const everyGroup = new Set<number>();

/** The parent's environment without any Temporal or LifeTime setting: children get only what a test gives. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(TEMPORAL_|LIFETIME_|LOG_LEVEL$|LOG_FORMAT$|NODE_OPTIONS$|JEST_)/.test(k)) continue;
    env[k] = v;
  }
  env.NO_COLOR = '1';
  env.FORCE_COLOR = '0';
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

let exitHookInstalled = false;
/** Detached children would outlive an interrupted test run: kill their groups when this process exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of tracked) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Spawns a child in its own process group (so a kill reaches anything it starts) and records its output. */
export function spawnChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Child {
  installExitHook();
  const proc = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (proc.pid === undefined) throw new Error(`${name}: could not spawn ${command}`);
  const pid = proc.pid;
  let out = '';
  let err = '';
  let both = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    both += d;
    notify();
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    both += d;
    notify();
  });
  let done = false;
  const exited = new Promise<Exit>((resolve) => {
    // 'close' (not 'exit'): all output has been read by then.
    proc.once('close', (code, signal) => {
      done = true;
      notify();
      resolve({ code, signal });
    });
  });
  const child: Child = {
    name,
    pid,
    proc,
    stdout: () => out,
    stderr: () => err,
    output: () => both,
    exited,
    hasExited: () => done,
    waitFor(pattern, opts = {}) {
      const { stream = 'both', timeoutMs = 60_000 } = opts;
      const text = () => (stream === 'stdout' ? out : stream === 'stderr' ? err : both);
      const test = (t: string) => (typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t));
      return new Promise<string>((resolve, reject) => {
        const check = () => {
          if (test(text())) {
            finish();
            resolve(text());
          } else if (done) {
            finish();
            reject(new Error(`${name} exited before showing ${String(pattern)}:\n${both.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${name} did not show ${String(pattern)} within ${timeoutMs} ms:\n${both.slice(-4000)}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    kill(signal = 'SIGTERM') {
      if (done) return;
      try {
        process.kill(-pid, signal);
      } catch {
        // already gone
      }
    },
  };
  tracked.add(child);
  everyPid.add(pid);
  everyGroup.add(pid);
  return child;
}

/**
 * A process group has a live member: one that is not a zombie (a killed process stays a zombie until its parent,
 * often PID 1, reaps it; kill(-pgid, 0) still succeeds for it, so that check alone races with the reaping).
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

/** SIGKILLs every tracked child (and its process group) that still runs, except `keep`, and waits for them. */
export async function killAll(keep: Child[] = []): Promise<void> {
  const all = [...tracked].filter((c) => !keep.includes(c));
  for (const c of all) c.kill('SIGKILL');
  for (const c of all) {
    if (groupAlive(c.pid)) {
      try {
        process.kill(-c.pid, 'SIGKILL'); // grandchildren whose parent already exited
      } catch {
        // gone meanwhile
      }
    }
  }
  await Promise.all(
    all.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([c.exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      tracked.delete(c);
    }),
  );
}

// ------------------------------------------------------------------------------------------------------------
// Temporal dev server

const devServers = new Set<DevServer>();

/** `temporal server start-dev` on free ports, in memory, with the product's search attributes. */
export async function startDevServer(): Promise<DevServer> {
  const server = await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
  devServers.add(server);
  if (server.process.pid) everyPid.add(server.process.pid);
  return server;
}

/** A client on the dev server, for queries and results (closed by `stopEverything`). */
const connections = new Set<Connection>();
export async function temporalClient(address: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  connections.add(connection);
  return new Client({ connection });
}

/** Ends every child, every dev server and every client connection. */
export async function stopEverything(): Promise<void> {
  await killAll();
  for (const c of connections) await c.close().catch(() => undefined);
  connections.clear();
  for (const s of devServers) await s.stop();
  devServers.clear();
}

/** After the file's last test: ends everything started here and removes the temp dirs. */
export function cleanUpAfterAll(): void {
  afterAll(async () => {
    await stopEverything();
    removeTempDirs();
  }, 60_000);
}

export interface DevServerWithClient {
  server: DevServer;
  client: Client;
}

/**
 * One dev server and a client on it for the whole test file (`onStarted` receives them); after the file's last
 * test, everything started here ends and the temp dirs go (`cleanUpAfterAll`).
 */
export function useDevServer(onStarted: (started: DevServerWithClient) => void): void {
  beforeAll(async () => {
    const server = await startDevServer();
    onStarted({ server, client: await temporalClient(server.address) });
  }, 120_000);
  cleanUpAfterAll();
}

/**
 * What still runs of anything these helpers started: process IDs, and process groups of the children
 * (anything a child started in turn); [] when all is clean. Zombies count as gone.
 */
export function survivors(): string[] {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  return [
    ...[...everyPid].filter(alive).map((pid) => `pid ${pid}`),
    ...[...everyGroup].filter(groupAlive).map((pgid) => `process group ${pgid}`),
  ];
}

// ------------------------------------------------------------------------------------------------------------
// Temp files

const tempDirs = new Set<string>();
export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lifetime-deploy-e2e-'));
  tempDirs.add(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

// ------------------------------------------------------------------------------------------------------------
// Simulator (child process) and its admin API

export interface SimRequest {
  method: string;
  path: string;
  status: number;
}
export interface SimPlan {
  key: string;
  status: string;
  started: boolean;
}

export interface SimProcess {
  child: Child;
  url: string;
  origin: string;
  token: string;
  admin<T = unknown>(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown): Promise<T>;
  preset(body: { name: string; application?: string }): Promise<unknown>;
  config(body: { speed?: number; progression?: 'wall' | 'per-poll' }): Promise<unknown>;
  plans(): Promise<SimPlan[]>;
  requests(): Promise<SimRequest[]>;
  /** How many `POST /deployments/` (plan creations) LifeTime received. */
  creates(): Promise<number>;
}

export async function startSimulatorProcess(
  opts: {
    speed?: number;
    /** More simulator flags (`--data file.json`, `--parallel-limit N`). */ args?: string[];
  } = {},
): Promise<SimProcess> {
  const child = spawnChild(
    'simulator',
    process.execPath,
    [
      '--import',
      'tsx',
      'src/simulator/main.ts',
      '--port',
      '0',
      '--speed',
      String(opts.speed ?? 200),
      ...(opts.args ?? []),
    ],
    cleanEnv(),
  );
  const out = await child.waitFor(/speed: .*\n/, { stream: 'stdout', timeoutMs: 60_000 });
  const url = /url:\s+(\S+)/.exec(out)?.[1];
  const admin = /admin:\s+(\S+)/.exec(out)?.[1];
  const token = /token:\s+(\S+)/.exec(out)?.[1];
  if (!url || !admin || !token) throw new Error(`cannot read the simulator's banner:\n${out}`);
  const origin = new URL(admin).origin;
  const call = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${origin}/_sim/${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /_sim/${route}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const requests = () => call<SimRequest[]>('GET', 'requests');
  return {
    child,
    url,
    origin,
    token,
    admin: call,
    preset: (body) => call('POST', 'preset', body),
    config: (body) => call('POST', 'config', body),
    plans: () => call<SimPlan[]>('GET', 'plans'),
    requests,
    creates: async () => (await requests()).filter((r) => r.method === 'POST' && CREATE_PATH.test(r.path)).length,
  };
}

// ------------------------------------------------------------------------------------------------------------
// Worker (child process)

export interface WorkerSettings {
  temporalAddress: string;
  lifetimeUrl?: string;
  /** Written to a 0600 temp file; the worker gets LIFETIME_TOKEN_FILE only. */
  token?: string;
  taskQueue: string;
  /** Extra or overriding variables (undefined removes nothing; use `cleanEnv` semantics). */
  env?: Record<string, string | undefined>;
}

export function workerEnv(s: WorkerSettings): NodeJS.ProcessEnv {
  let tokenFile: string | undefined;
  if (s.token !== undefined) {
    tokenFile = path.join(tempDir(), 'lifetime-token');
    writeFileSync(tokenFile, `${s.token}\n`, { mode: 0o600 });
  }
  return cleanEnv({
    TEMPORAL_ADDRESS: s.temporalAddress,
    LIFETIME_URL: s.lifetimeUrl,
    LIFETIME_TOKEN_FILE: tokenFile,
    LIFETIME_DEPLOY_TASK_QUEUE: s.taskQueue,
    ...s.env,
  });
}

/** Spawns the worker process without waiting for it (for configuration errors). */
export function spawnWorker(env: NodeJS.ProcessEnv, name = 'worker'): Child {
  const child = spawnChild(name, process.execPath, ['--import', 'tsx', 'src/worker.ts'], env);
  return child;
}

/** Starts the worker and waits for its 'worker started' log line (it bundles the workflow code first). */
export async function startWorkerProcess(s: WorkerSettings, name = 'worker'): Promise<Child> {
  const child = spawnWorker(workerEnv(s), name);
  await child.waitFor('"worker started"', { timeoutMs: 120_000 });
  return child;
}

// ------------------------------------------------------------------------------------------------------------
// CLI (child process)

/** Starts `node bin/lifetime-deploy.js …` in the background. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, name = `cli ${args[0] ?? ''}`): Child {
  const child = spawnChild(name, process.execPath, [CLI_ENTRY, ...args], env);
  return child;
}

/** Runs the CLI to its end (SIGKILL after `timeoutMs`) and returns its exit code and output. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<CliResult> {
  const child = startCli(args, env);
  return cliResult(child, timeoutMs);
}

export async function cliResult(child: Child, timeoutMs = 90_000): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const r = await Promise.race([child.exited, timeout]);
  clearTimeout(timer);
  if (r === 'timeout') {
    child.kill('SIGKILL');
    await child.exited;
    throw new Error(`${child.name} did not end within ${timeoutMs} ms:\n${child.output().slice(-4000)}`);
  }
  return { ...r, stdout: child.stdout(), stderr: child.stderr() };
}

/** Pretty text for assertion messages. */
export const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** Fails with the whole output unless the process exited with `code`. */
export function expectExit(r: CliResult, code: number): void {
  if (r.code !== code) throw new Error(`expected exit code ${code}, got:\n${show(r)}`);
}

/** `lifetime-deploy deploy` arguments of the seed path: EmployeeBackoffice from Development to Production. */
export const EB = ['--app', 'EmployeeBackoffice', '--from', 'Development', '--to', 'Production'];
/** Short poll intervals: the simulator runs at high speed. */
export const FAST = ['--poll-min', '0.5', '--poll-max', '1'];

/** Sends a signal the way an operator does without our CLI: `temporal workflow signal … --input <json>`. */
export function temporalSignal(address: string, workflowId: string, name: string, input: string): Promise<CliResult> {
  const { cli: temporal } = ensureTemporalBinaries();
  return cliResult(
    spawnChild(
      'temporal workflow signal',
      temporal,
      ['workflow', 'signal', '--address', address, '--workflow-id', workflowId, '--name', name, '--input', input],
      cleanEnv(),
    ),
  );
}

// ------------------------------------------------------------------------------------------------------------
// A whole stack per test: simulator + worker on a task queue of its own

let queueCounter = 0;
export function uniqueTaskQueue(prefix = 'e2e'): string {
  const title = (expect.getState().currentTestName ?? prefix)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return `${prefix}-${title}-${process.pid}-${++queueCounter}-${Math.random().toString(36).slice(2, 6)}`;
}

export interface Stack {
  sim: SimProcess;
  worker: Child;
  taskQueue: string;
  /** The environment a user's shell would have for the CLI. */
  cliEnv: NodeJS.ProcessEnv;
  cli(args: string[], timeoutMs?: number): Promise<CliResult>;
  cliInBackground(args: string[]): Child;
}

export async function startStack(server: DevServer, opts: { speed?: number } = {}): Promise<Stack> {
  const sim = await startSimulatorProcess(opts);
  const taskQueue = uniqueTaskQueue();
  const worker = await startWorkerProcess({
    temporalAddress: server.address,
    lifetimeUrl: sim.url,
    token: sim.token,
    taskQueue,
  });
  const cliEnv = cleanEnv({
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_UI_URL: server.uiUrl,
    LIFETIME_DEPLOY_TASK_QUEUE: taskQueue,
  });
  return {
    sim,
    worker,
    taskQueue,
    cliEnv,
    cli: (args, timeoutMs) => runCli(args, cliEnv, timeoutMs),
    cliInBackground: (args) => startCli(args, cliEnv),
  };
}

/** Polls `fn` until it returns a truthy value. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false | null>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`${what}: not reached within ${timeoutMs} ms (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
