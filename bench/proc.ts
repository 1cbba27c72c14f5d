/**
 * Resource usage of one process, read from /proc/<pid>/status (VmRSS, VmHWM) and /proc/<pid>/stat
 * (utime + stime), sampled on an interval. Figures are that process's own, not its parent's or children's.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { round } from './stats';

let clockTicks: number | undefined;
/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux when it cannot be read). */
export function clkTck(): number {
  if (clockTicks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

export interface ProcSample {
  /** Wall-clock ms (Date.now()). */
  t: number;
  rssMB: number;
  hwmMB: number;
  /** Cumulative user + system CPU seconds of the process. */
  cpuS: number;
}

/** One reading, or undefined when the process is gone. */
export function readProc(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    // fields after the command name "(...)": state is [0], utime is [11], stime is [12]
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { t: Date.now(), rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024, cpuS: ticks / clkTck() };
  } catch {
    return undefined;
  }
}

export interface WindowStats {
  seconds: number;
  peakRssMB: number;
  /** VmHWM at the end of the window: the process's peak RSS since it started. */
  hwmMB: number;
  cpuSeconds: number;
  /** Mean CPU over the window, in % of one core (200 % = both cores of a 2-core machine). */
  meanCpuPct: number;
  /** Highest CPU over any ~2 s stretch of the window, in % of one core. */
  peakCpuPct: number;
  samples: number;
}

export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    private readonly intervalMs = 500,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): ProcSample | undefined {
    const s = readProc(this.pid);
    if (s) this.samples.push(s);
    return s;
  }

  stop(): void {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Statistics over [from, to] (wall ms); the whole recording when omitted. */
  window(from = 0, to = Number.MAX_SAFE_INTEGER): WindowStats {
    const xs = this.samples.filter((s) => s.t >= from && s.t <= to);
    if (xs.length < 2)
      return { seconds: 0, peakRssMB: 0, hwmMB: 0, cpuSeconds: 0, meanCpuPct: 0, peakCpuPct: 0, samples: xs.length };
    const first = xs[0]!;
    const last = xs[xs.length - 1]!;
    const seconds = (last.t - first.t) / 1000;
    const cpuSeconds = last.cpuS - first.cpuS;
    let peak = 0;
    for (let i = 0, j = 0; i < xs.length; i++) {
      while (j < i && xs[i]!.t - xs[j + 1]!.t >= 2000) j++;
      const dt = (xs[i]!.t - xs[j]!.t) / 1000;
      if (dt >= 1.5) peak = Math.max(peak, ((xs[i]!.cpuS - xs[j]!.cpuS) / dt) * 100);
    }
    return {
      seconds: round(seconds, 1),
      peakRssMB: round(Math.max(...xs.map((s) => s.rssMB)), 1),
      hwmMB: round(last.hwmMB, 1),
      cpuSeconds: round(cpuSeconds, 2),
      meanCpuPct: round(seconds > 0 ? (cpuSeconds / seconds) * 100 : 0, 1),
      peakCpuPct: round(peak, 1),
      samples: xs.length,
    };
  }
}
