/**
 * Helpers of the stack tests (npm run test:stack): one Temporal-on-PostgreSQL stack per test file
 * (src/dev/stack), the real simulator, worker and CLI processes of test/e2e/processes.ts, deployments started
 * with the starter's own start options, results awaited through outages, and the figures each test records for
 * the report that test/stack/global-teardown.ts prints at the end.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { portIsFree } from '../../src/dev/dev-server';
import { startTemporalOnPostgres, type TemporalOnPostgres } from '../../src/dev/stack';
import { SEED_INPUT, SEED_KEYS, type SimDataInput } from '../../src/simulator';
import { stableUuid } from '../../src/simulator/util';
import { startOptions } from '../../src/starter';
import {
  stateQuery,
  WORKFLOW_TYPE,
  type DeployRequestInput,
  type DeployResult,
  type DeployState,
} from '../../src/workflows/messages';
import { eventually, stopEverything, survivors, tempDir, temporalClient, type SimProcess } from '../e2e/processes';

// ------------------------------------------------------------------------------------------------------------
// The stack of a test file

export interface StackFile {
  stack: TemporalOnPostgres;
  client: Client;
}

/**
 * One stack for the file: started before its first test, handed to `onStarted`; `tearDownAndCheck()` (the
 * file's last test) stops it and proves that nothing is left: no process, no listening port, no folder.
 */
export function useTemporalOnPostgres(onStarted: (s: StackFile) => void): { tearDownAndCheck(): Promise<void> } {
  let stack: TemporalOnPostgres | undefined;
  beforeAll(async () => {
    stack = await startTemporalOnPostgres();
    onStarted({ stack, client: await temporalClient(stack.address) });
  }, 600_000);
  afterAll(async () => {
    await stopEverything();
    await stack?.stop();
  }, 120_000);
  return {
    async tearDownAndCheck() {
      const s = stack!;
      const ports = [s.postgres.port, ...Object.values(s.ports)];
      const pids = [s.serverPid(), s.postgres.pid].filter((p): p is number => p !== undefined);
      await stopEverything();
      await s.stop();
      expect(survivors()).toEqual([]);
      const alive = pids.filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
      expect(alive).toEqual([]);
      const busy: number[] = [];
      for (const p of ports) if (!(await portIsFree(p))) busy.push(p);
      expect(busy).toEqual([]);
      const { existsSync } = await import('node:fs');
      expect(existsSync(s.dir)).toBe(false);
    },
  };
}

// ------------------------------------------------------------------------------------------------------------
// Simulator data: the seed plus applications of our own, each deployable from Development to Production

/** `count` applications `StackApp01…`, each running version 1.0 (8 modules) in Development only. */
export function appsDataFile(count: number): { file: string; apps: string[] } {
  const apps: SimDataInput['applications'] = [];
  const names: string[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `StackApp${String(i).padStart(2, '0')}`;
    const key = stableUuid('stack-app', name);
    const versionKey = stableUuid('stack-version', name, '1.0');
    names.push(name);
    apps.push({
      key,
      name,
      team: 'Stack',
      modules: Array.from({ length: 8 }, (_, j) => ({
        key: stableUuid('stack-module', name, String(j)),
        name: `${name}_M${j + 1}`,
      })),
      versions: [
        {
          key: versionKey,
          version: '1.0',
          changeLog: 'stack test build',
          createdOn: '2025-01-06T09:00:00.000Z',
          environment: SEED_KEYS.development,
        },
      ],
      environments: [{ environment: SEED_KEYS.development, version: versionKey }],
    });
  }
  const file = path.join(tempDir(), 'simulator-data.json');
  writeFileSync(file, JSON.stringify({ ...SEED_INPUT, applications: [...SEED_INPUT.applications, ...apps] }));
  return { file, apps: names };
}

// ------------------------------------------------------------------------------------------------------------
// Deployments

export const FAST_POLLING = { firstPollSeconds: 0.5, minIntervalSeconds: 0.5, maxIntervalSeconds: 1, backoff: 1.5 };

export function deployRequest(app: string, overrides: Partial<DeployRequestInput> = {}): DeployRequestInput {
  return {
    applications: [{ app }],
    source: 'Development',
    target: 'Production',
    requestedBy: 'stack-test',
    ...overrides,
    policies: { polling: FAST_POLLING, ...(overrides.policies ?? {}) },
  };
}

export function startDeployment(
  client: Client,
  taskQueue: string,
  workflowId: string,
  req: DeployRequestInput,
): Promise<WorkflowHandle> {
  return client.workflow.start(WORKFLOW_TYPE, startOptions(req, taskQueue, workflowId));
}

/** The workflow's result, waiting through server and database outages (calls that fail are tried again). */
export async function resultThroughOutages(handle: WorkflowHandle, timeoutMs = 300_000): Promise<DeployResult> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      return (await handle.result()) as DeployResult;
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw err;
      last = err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`${handle.workflowId}: no result within ${timeoutMs} ms (last error: ${String(last)})`);
}

/** Polls the state query until `pred` holds. */
export function stateWhen(
  handle: WorkflowHandle,
  pred: (s: DeployState) => boolean,
  what: string,
  timeoutMs = 120_000,
): Promise<DeployState> {
  return eventually(
    async () => {
      const s = await handle.query(stateQuery);
      return pred(s) ? s : undefined;
    },
    `${handle.workflowId}: ${what}`,
    timeoutMs,
  );
}

// ------------------------------------------------------------------------------------------------------------
// What LifeTime (the simulator) saw

export interface TimedRequest {
  method: string;
  path: string;
  status: number;
  at: string;
}

export const simRequests = (sim: SimProcess) => sim.admin<TimedRequest[]>('GET', 'requests');

const STATUS = /\/deployments\/([^/]+)\/status\/?$/;
const START = /\/deployments\/[^/]+\/start\/?$/;

/** How many `start` commands LifeTime received (with `accepted`: only those it carried out, 2xx). */
export async function startCount(sim: SimProcess, opts: { accepted?: boolean } = {}): Promise<number> {
  return (await simRequests(sim)).filter(
    (r) => r.method === 'POST' && START.test(r.path) && (!opts.accepted || (r.status >= 200 && r.status < 300)),
  ).length;
}

/** The first request about plan `key` (a status poll, a start, …) that arrived at or after `afterMs`. */
export async function nextRequestFor(
  sim: SimProcess,
  key: string,
  afterMs: number,
  timeoutMs = 180_000,
): Promise<TimedRequest> {
  return eventually(
    async () =>
      (await simRequests(sim)).find((r) => r.path.includes(`/deployments/${key}/`) && Date.parse(r.at) >= afterMs),
    `a LifeTime request about plan ${key} after ${new Date(afterMs).toISOString()}`,
    timeoutMs,
  );
}

/** How many status polls of the plans `keys` LifeTime received in [fromMs, toMs). */
export async function pollsBetween(sim: SimProcess, keys: string[], fromMs: number, toMs: number): Promise<number> {
  return (await simRequests(sim)).filter((r) => {
    const m = STATUS.exec(r.path);
    const t = Date.parse(r.at);
    return r.method === 'GET' && m && keys.includes(m[1]!) && t >= fromMs && t < toMs;
  }).length;
}

/** The first status poll of any plan that arrived at or after `afterMs`, per plan key. */
export async function firstPollsAfter(sim: SimProcess, afterMs: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const r of await simRequests(sim)) {
    const m = STATUS.exec(r.path);
    const t = Date.parse(r.at);
    if (r.method === 'GET' && m && t >= afterMs && !out.has(m[1]!)) out.set(m[1]!, t);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------------------
// Figures for the report

export interface Figures {
  test: string;
  /** What was done to what, in a few words. */
  fault: string;
  /** From the fault to the component serving again. */
  downSeconds?: number;
  /** From the component serving again to the next LifeTime call of the deployment(s) (median when several). */
  recoverySeconds?: number;
  recoveryP95Seconds?: number;
  deployments: number;
  plans: number;
  outcomes: Record<string, number>;
  note?: string;
}

export const seconds = (ms: number) => Math.round(ms / 10) / 100;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** Where the figures go: set by global-setup.ts; a folder of its own when a file runs without it. */
export function reportDir(): string {
  const dir = process.env.STACK_REPORT_DIR ?? path.join(tmpdir(), `lifetime-deploy-stack-report-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function recordFigures(f: Figures): void {
  appendFileSync(path.join(reportDir(), 'figures.jsonl'), `${JSON.stringify(f)}\n`);
  console.log(
    `[stack figures] ${f.test}: ${f.fault}; down ${f.downSeconds ?? '-'} s, recovery ${f.recoverySeconds ?? '-'} s` +
      `${f.recoveryP95Seconds !== undefined ? ` (p95 ${f.recoveryP95Seconds} s)` : ''}, ` +
      `${f.deployments} deployment(s), ${f.plans} plan(s), ${JSON.stringify(f.outcomes)}${f.note ? `; ${f.note}` : ''}`,
  );
}
