/**
 * Test helpers for the simulator: a tiny LifeTime API caller on Node's global fetch (the project's client
 * is written in parallel and deliberately not used here), seed shortcuts, and the per-file lifecycle of a test
 * simulator and of a temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTerminalStatus } from '../../src/lifetime/schemas';
import { SEED_KEYS, startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../src/simulator';
import { useStarted } from '../lifecycle';

export const K = SEED_KEYS;
export const DEV = K.development;
export const QA = K.quality;
export const PROD = K.production;

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body (throws when the body is not JSON). */
  json<T = unknown>(): T;
}

export type Observer = (method: string, path: string, res: Res) => void;

export class Api {
  observers: Observer[] = [];
  constructor(
    readonly sim: SimulatorHandle,
    private readonly token: string = sim.token,
  ) {}

  async call(
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Res> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...(opts.headers ?? {}) };
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const r = await fetch(this.sim.url + path, { method, headers, body });
    const text = await r.text();
    const res: Res = { status: r.status, headers: r.headers, text, json: <T>() => JSON.parse(text) as T };
    for (const o of this.observers) o(method, path, res);
    return res;
  }
  get(path: string): Promise<Res> {
    return this.call('GET', path);
  }
  post(path: string, body?: unknown): Promise<Res> {
    return this.call('POST', path, { body });
  }
  put(path: string, body?: unknown): Promise<Res> {
    return this.call('PUT', path, { body });
  }
  del(path: string): Promise<Res> {
    return this.call('DELETE', path);
  }

  /** POST /deployments/ → the key (asserts 201). */
  async create(
    versionKeys: string[],
    opts: { source?: string; target?: string; notes?: string; zone?: string } = {},
  ): Promise<string> {
    const r = await this.post('/deployments/', planBody(versionKeys, opts));
    if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
    return r.text;
  }
  async status(key: string): Promise<{
    DeploymentStatus: string;
    Info: string;
    DeploymentLog: { Instant: string; Message: string; Type: string }[];
  }> {
    const r = await this.get(`/deployments/${key}/status/`);
    if (r.status !== 200) throw new Error(`status failed: ${r.status} ${r.text}`);
    return r.json();
  }
  /** Polls the status until `until` holds (per-poll mode: each poll moves the plan one step). */
  async pollUntil(key: string, until: (s: { DeploymentStatus: string; Info: string }) => boolean, max = 300) {
    const seen: string[] = [];
    for (let i = 0; i < max; i++) {
      const s = await this.status(key);
      seen.push(s.DeploymentStatus);
      if (until(s)) return { ...s, seen };
    }
    throw new Error(`condition not reached after ${max} polls; statuses: ${[...new Set(seen)].join(', ')}`);
  }
  admin(method: string, path: string, body?: unknown): Promise<Res> {
    return fetch(`${this.sim.origin}/_sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => {
      const text = await r.text();
      return { status: r.status, headers: r.headers, text, json: <T>() => JSON.parse(text) as T };
    });
  }
}

export const planBody = (
  versionKeys: string[],
  opts: { source?: string; target?: string; notes?: string; zone?: string } = {},
) => ({
  Notes: opts.notes ?? 'test plan',
  SourceEnvironmentKey: opts.source ?? DEV,
  TargetEnvironmentKey: opts.target ?? PROD,
  ApplicationOperations: versionKeys.map((k) => ({ ApplicationVersionKey: k, DeploymentZoneKey: opts.zone ?? '' })),
});

/** True when a status response shows a terminal status (LifeTime's own list, from the schemas). */
export const isTerminal = (s: { DeploymentStatus: string }): boolean => isTerminalStatus(s.DeploymentStatus);

export interface TestSimulator {
  sim: SimulatorHandle;
  api: Api;
}

/** A simulator on a free port (per-poll by default, so tests do not depend on the wall clock). */
export async function startTestSimulator(opts: SimulatorOptions = {}): Promise<TestSimulator> {
  const sim = await startSimulator({ port: 0, progression: 'per-poll', ...opts });
  return { sim, api: new Api(sim) };
}

/**
 * One test simulator for the enclosing file or describe block: started before its tests (`onStarted` receives
 * it), reset before each test, closed after the last one.
 */
export function useTestSimulator(onStarted: (started: TestSimulator) => void, opts: SimulatorOptions = {}): void {
  const started = useStarted(
    () => startTestSimulator(opts),
    ({ sim }) => sim.close(),
    onStarted,
  );
  beforeEach(() => started().sim.reset());
}

/** A temporary directory for the enclosing file or describe block, removed after its last test. */
export function useTempDir(prefix: string, onCreated: (dir: string) => void): void {
  useStarted(
    () => mkdtempSync(join(tmpdir(), prefix)),
    (dir) => rmSync(dir, { recursive: true, force: true }),
    onCreated,
  );
}
