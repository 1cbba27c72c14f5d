/**
 * After the stack tests: the figures each test recorded (helpers.ts recordFigures) as one table, printed and
 * written to STACK_REPORT_DIR as REPORT.md and figures.json.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Figures } from './helpers';

const cell = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '-' : String(v));

export default function globalTeardown(): void {
  const dir = process.env.STACK_REPORT_DIR;
  if (!dir) return;
  const file = path.join(dir, 'figures.jsonl');
  const figures: Figures[] = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Figures)
    : [];
  const lines = [
    '# Durability on the production topology (Temporal server on PostgreSQL)',
    '',
    'down: from the fault to the component serving again; recovery: from then to the next LifeTime call of the',
    'deployment(s) at the simulator (median, and p95 when several). Figures of one run on this machine, not limits.',
    '',
    '| test | fault | down s | recovery s | recovery p95 s | deployments | plans | outcomes | note |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...figures.map(
      (f) =>
        `| ${f.test} | ${f.fault} | ${cell(f.downSeconds)} | ${cell(f.recoverySeconds)} | ${cell(f.recoveryP95Seconds)} | ` +
        `${f.deployments} | ${f.plans} | ${Object.entries(f.outcomes)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} | ${f.note ?? ''} |`,
    ),
    '',
  ];
  writeFileSync(path.join(dir, 'REPORT.md'), lines.join('\n'));
  writeFileSync(path.join(dir, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(`\n${lines.join('\n')}\nstack test report: ${path.join(dir, 'REPORT.md')}\n`);
}
