/** Formatting helpers for REPORT.md. */
import type { MachineInfo } from './machine';
import type { Summary } from './stats';

export const f = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits).replace(/\.0+$/, '');
export const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
export const table = (head: string[], rows: (string | number)[][]): string =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
export const pct = (s: Summary): string => `${f(s.p50)} / ${f(s.p95)} / ${f(s.max)}`;

export interface Verdict {
  target: string;
  measured: string;
  verdict: string;
}

/** What every benchmark's results file starts with: how, when and where it ran. */
export interface RunHeader {
  schema: 1;
  mode: 'quick' | 'full';
  command: string;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
}

/** The command, date, CPUs, memory and software of a run, as a two-column table. */
export function runTable(r: RunHeader): string {
  const m = r.machine;
  return table(
    ['', ''],
    [
      ['command', `\`${r.command}\``],
      ['date', `${r.startedAt} → ${r.finishedAt} (${r.durationSeconds} s)`],
      ['CPUs', `${m.cpus.count} × ${m.cpus.model}${m.cpus.speedMHz ? ` (${m.cpus.speedMHz} MHz)` : ''}`],
      [
        'memory',
        `${m.memoryGB.total} GB (${m.memoryGB.freeAtStart} GB free at start); load average at start ${m.loadAverageAtStart.join(' / ')}; nice ${m.nice}`,
      ],
      [
        'software',
        `Node ${m.node}; ${m.os}; Temporal CLI ${m.temporalCli} (dev server, in memory); Temporal TypeScript SDK ${m.temporalSdk}`,
      ],
    ],
  );
}
