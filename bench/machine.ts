/** The machine the benchmark ran on: CPUs, memory, Node, OS, the Temporal CLI and SDK versions. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { ensureTemporalBinaries, PROJECT_ROOT } from '../src/dev/temporal-binaries';

export interface MachineInfo {
  cpus: { count: number; model: string; speedMHz: number };
  memoryGB: { total: number; freeAtStart: number };
  loadAverageAtStart: number[];
  /** Scheduling priority (nice value) the benchmark ran with. */
  nice: number;
  node: string;
  /** Node's default V8 heap limit here (the worker runs with the same default). */
  v8HeapLimitMB: number;
  os: string;
  temporalCli: string;
  temporalSdk: string;
}

function sdkVersion(): string {
  try {
    const file = path.join(PROJECT_ROOT, 'node_modules', '@temporalio', 'worker', 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function cliVersion(): string {
  try {
    const { cli } = ensureTemporalBinaries();
    const r = spawnSync(cli, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    return (r.stdout || r.stderr || '').trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const gb = (b: number): number => Math.round((b / 1024 ** 3) * 10) / 10;
  return {
    cpus: { count: cpus.length, model: cpus[0]?.model.trim() ?? 'unknown', speedMHz: cpus[0]?.speed ?? 0 },
    memoryGB: { total: gb(os.totalmem()), freeAtStart: gb(os.freemem()) },
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    nice: os.getPriority(),
    node: process.version,
    v8HeapLimitMB: Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    temporalCli: cliVersion(),
    temporalSdk: sdkVersion(),
  };
}
