/** Renders PROMOTION.md from promotion.json alone (every figure in it comes from that file). */
import type { Mode, PromotionResults, PromotionRun, Spread, WorkflowFigures } from './promotion';
import { f, runTable, table } from './report-util';

const WAY: Record<Mode, string> = { baseline: 'baseline', release: 'release' };

/** "median (min–max)", or the value alone when every run gave the same. */
function spread(s: Spread, digits = 1): string {
  if (s.median === null) return '–';
  if (s.n < 2 || f(s.min, digits) === f(s.max, digits)) return f(s.median, digits);
  return `${f(s.median, digits)} (${f(s.min, digits)}–${f(s.max, digits)})`;
}

function diff(a: Spread, b: Spread, digits = 1): string {
  if (a.median === null || b.median === null) return '–';
  const d = b.median - a.median;
  // the sign of the difference as printed: one that rounds to 0 reads ±0
  const shown = Number(f(Math.abs(d), digits));
  const sign = shown === 0 ? '±' : d > 0 ? '+' : '−';
  const rel = a.median !== 0 && shown !== 0 ? ` (${sign}${f(Math.abs((d / a.median) * 100), 0)} %)` : '';
  return `${sign}${f(Math.abs(d), digits)}${rel}`;
}

function count(xs: Record<string, number>): string {
  const entries = Object.entries(xs).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(', ') : '–';
}

function addCounts(all: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const xs of all) for (const [k, v] of Object.entries(xs)) out[k] = (out[k] ?? 0) + v;
  return out;
}

const words = (n: number): string =>
  ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'][n] ?? String(n);

function headline(r: PromotionResults): string {
  const b = r.summary.baseline;
  const p = r.summary.release;
  const hops = r.setup.hops;
  const rows: [string, keyof typeof b, number][] = [
    ['wall time (s)', 'wallS', 1],
    ['Σ LifeTime deployment time of the plans (s)', 'sumLtS', 1],
    ['**orchestration overhead** = wall − Σ LifeTime (s)', 'overheadS', 1],
    ['· start-up: run start → first plan started (s)', 'startupS', 1],
    ['· detection: plan finished → seen finished, Σ (s)', 'detectionS', 1],
    ['· hand-over: seen finished → next plan started, Σ (s)', 'handoverS', 1],
    ['· wrap-up: last plan seen finished → CLI exited (s)', 'wrapupS', 1],
    ['history events, every workflow', 'events', 0],
    ['billable-action equivalents (from the histories)', 'actions', 0],
    ['workflows', 'workflows', 0],
    ['CLI processes', 'processes', 0],
    [`plans created (hops: ${hops})`, 'plansCreated', 0],
    ['LifeTime requests', 'lifetimeRequests', 0],
    ['· of which status polls', 'statusRequests', 0],
    ['worker CPU (s)', 'workerCpuS', 2],
  ];
  return table(
    [
      'per run',
      `baseline: ${hops} × \`deploy --wait\`, one CLI process each`,
      'release: one `promote --wait`',
      'release − baseline',
    ],
    rows.map(([label, key, digits]) => [
      label,
      spread(b[key] as Spread, digits),
      spread(p[key] as Spread, digits),
      diff(b[key] as Spread, p[key] as Spread, digits),
    ]),
  );
}

/** Median over the runs of one way of a per-run figure (null when no run has it). */
function medianOf(r: PromotionResults, mode: Mode, fn: (x: PromotionRun) => number | null): number | null {
  const xs = r.runs
    .filter((x) => x.mode === mode)
    .map(fn)
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  return xs.length ? xs[Math.ceil(xs.length / 2) - 1]! : null;
}

const eventsOf = (x: PromotionRun, type: WorkflowFigures['type']): number | null => {
  const ws = x.workflows.filter((w) => w.type === type);
  return ws.length && ws.every((w) => w.events !== null) ? ws.reduce((s, w) => s + w.events!, 0) : null;
};

function summaryText(r: PromotionResults): string {
  const b = r.summary.baseline;
  const p = r.summary.release;
  const hops = r.setup.hops;
  const lines: string[] = [];
  if (b.overheadS.median !== null && p.overheadS.median !== null)
    lines.push(
      `Overhead per hop: baseline ${f(b.overheadS.median / hops)} s, release ${f(p.overheadS.median / hops)} s.`,
    );
  const own = medianOf(r, 'release', (x) => eventsOf(x, 'promoteRelease'));
  const children = medianOf(r, 'release', (x) => eventsOf(x, 'deployApplications'));
  const single = medianOf(r, 'baseline', (x) => eventsOf(x, 'deployApplications'));
  if (own !== null && children !== null && single !== null)
    lines.push(
      `History events: the release's own workflow writes ${own}, its ${words(hops)} stage children ${children} ` +
        `together; the ${words(hops)} single-hop deployments write ${single}.`,
    );
  return lines.join(' ');
}

function runsTable(r: PromotionResults): string {
  return table(
    [
      'repetition',
      'way',
      'order',
      'wall (s)',
      'Σ LifeTime (s)',
      'overhead (s)',
      'start-up',
      'detection',
      'hand-over',
      'wrap-up',
      'events',
      'actions',
      'plans',
      'LifeTime requests',
      'worker CPU (s)',
      'outcome',
    ],
    r.runs.map((x) => [
      x.repetition,
      WAY[x.mode],
      x.order === 1 ? 'first' : 'second',
      f(x.wallS, 1),
      f(x.sumLtS, 1),
      f(x.overheadS, 1),
      f(x.breakdown.startupS, 1),
      f(x.breakdown.detectionS, 1),
      f(x.breakdown.handoverS, 1),
      f(x.breakdown.wrapupS, 1),
      x.events ?? '–',
      x.actions ?? '–',
      x.plansCreated,
      x.lifetimeRequests,
      f(x.workerCpuS, 2),
      x.outcome === 'succeeded' ? 'succeeded' : `**${x.outcome}**`,
    ]),
  );
}

function hopsTable(r: PromotionResults): string {
  return table(
    [
      'repetition',
      'way',
      'hop',
      'previous mark → hop workflow started (s)',
      'workflow started → plan started (s)',
      'LifeTime (s)',
      'detection (s)',
      'status polls',
      'plan status',
    ],
    r.runs.flatMap((x) =>
      x.hops.map((h) => [
        x.repetition,
        WAY[x.mode],
        `${h.hop}: ${h.source} → ${h.target}`,
        f(h.toWorkflowS, 2),
        f(h.toPlanStartS, 2),
        f(h.ltS, 2),
        f(h.detectionS, 2),
        h.statusRequests,
        h.planStatus ?? '–',
      ]),
    ),
  );
}

function workflowsTable(run: PromotionRun): string {
  return table(
    ['workflow', 'role', 'outcome', 'events', 'actions', 'activities', 'local activities', 'timers', 'polls'],
    run.workflows.map((w: WorkflowFigures) => [
      `\`${w.type}\``,
      w.role,
      w.outcome ?? '–',
      w.events ?? '–',
      w.actions ?? '–',
      count(w.activities),
      count(w.localActivities),
      w.timersStarted ?? '–',
      w.polls ?? '–',
    ]),
  );
}

function actionsByRule(r: PromotionResults, mode: Mode): string {
  const runs = r.runs.filter((x) => x.mode === mode);
  if (!runs.length) return '–';
  const total = addCounts(runs.flatMap((x) => x.workflows.map((w) => w.actionsByRule)));
  const perRun = Object.fromEntries(Object.entries(total).map(([k, v]) => [k, Number(f(v / runs.length, 1))]));
  return count(perRun);
}

function requestsByRoute(r: PromotionResults, mode: Mode): string {
  const runs = r.runs.filter((x) => x.mode === mode);
  if (!runs.length) return '–';
  const total = addCounts(runs.map((x) => x.requestsByRoute));
  return count(Object.fromEntries(Object.entries(total).map(([k, v]) => [`\`${k}\``, Number(f(v / runs.length, 1))])));
}

export function renderPromotionReport(r: PromotionResults): string {
  const s = r.setup;
  const first = (mode: Mode): PromotionRun | undefined => r.runs.find((x) => x.mode === mode);
  const routeText =
    `The route is every environment of the simulator's data, in order: ${s.route.join(' → ')}, so each run deploys ` +
    `${words(s.hops)} hop${s.hops === 1 ? '' : 's'}` +
    (s.hops < 3 ? ` (the data has ${words(s.route.length)} environments; three hops would need four).` : '.');
  return `${[
    '# Release promotion against single-hop deployments (issue 16, item 9)',
    '',
    `Generated by \`bench/promotion.ts\` from \`promotion.json\` of the same run. Mode: **${r.mode}**.` +
      (r.mode === 'quick'
        ? ' Quick mode is a smoke run for CI: one repetition with very short plans, so its figures say little.'
        : ''),
    '',
    runTable(r),
    '',
    '## Result',
    '',
    `${routeText} Applications ${s.applications.map((a) => `${a.name} (${a.modules} modules)`).join(', ')}, in one ` +
      `plan per hop; every plan takes ${f(r.args.planSeconds)} s in LifeTime; ${words(r.args.repeats)} ` +
      `repetition${r.args.repeats === 1 ? '' : 's'} of each way. Medians over the runs, (min–max) when they differ.`,
    '',
    headline(r),
    '',
    summaryText(r),
    '',
    '## How it is measured',
    '',
    `- One Temporal dev server, one LifeTime simulator and one worker (a child process, task queue \`${s.taskQueue}\`) for the whole run. The simulator runs at speed ${s.speed}: LifeTime time is wall time, and the workflows poll with ${s.polling}.`,
    `- **baseline**: for each hop, \`${s.cli} deploy --app … --from <route[i−1]> --to <route[i]> --wait\`, a new process each, the next one started when the previous one exits with 0, as a CI pipeline's steps would. **release**: \`${s.cli} promote --app … --through ${s.route.join(',')} --wait\`, one process, no promotion gate.`,
    '- Before every run the simulator is reset (initial data, no plans, empty request log) and given one default scenario: every plan takes the plan time above, its realistic profile scaled to it. Each run therefore deploys the same versions afresh. The two ways alternate which goes first in a repetition.',
    `- A warm-up before the first run, not measured: one deployment (${f(s.warmup.wallS)} s, ${s.warmup.outcome ?? '–'}) and one CLI start (\`--help\`, ${f(s.warmup.cliWallS, 2)} s), so neither way pays the worker's first workflow or a cold file cache.`,
    '- Wall time: the first CLI process spawned → the last one exited. Plan times come from the simulator (`createdAt`, `startedAt`, `finishedAt` of each plan); LifeTime deployment time = `finishedAt − startedAt`; a plan is "seen finished" at the first `GET …/deployments/{key}/status/` at or after `finishedAt` (request log). Overhead = wall − Σ LifeTime = start-up + Σ detection + Σ hand-over + wrap-up.',
    "- A hop's workflow is the baseline's deployment or the release's stage child; \"previous mark\" is the run's start for hop 1, else the previous plan seen finished. For the baseline that stretch holds the previous process noticing the end and exiting and the next process starting; for the release, the stage child ending, the release reading the next target and starting the next child.",
    '- History events and billable-action equivalents are counted from the fetched histories of every workflow of the run (the same rules as `bench/REPORT.md`: [Temporal Cloud Actions](https://docs.temporal.io/cloud/actions); a child workflow start counts 2). `--wait` follows with a `state` query about once a second (`src/cli/follow.ts`); queries are actions in Temporal Cloud but leave no history, so they are not in these counts.',
    "- LifeTime requests: every request in the simulator's log during the run. Worker CPU: user + system seconds of the worker process over the run (`/proc/<pid>/stat`).",
    '',
    '## Runs',
    '',
    runsTable(r),
    '',
    '## Hops',
    '',
    hopsTable(r),
    '',
    '## Workflows (first repetition)',
    '',
    ...(['baseline', 'release'] as Mode[]).flatMap((mode) => {
      const run = first(mode);
      return run ? [`**${WAY[mode]}**`, '', workflowsTable(run), ''] : [];
    }),
    'Billable-action equivalents by rule, mean per run:',
    '',
    `- baseline: ${actionsByRule(r, 'baseline')}`,
    `- release: ${actionsByRule(r, 'release')}`,
    '',
    'LifeTime requests by route, mean per run:',
    '',
    `- baseline: ${requestsByRoute(r, 'baseline')}`,
    `- release: ${requestsByRoute(r, 'release')}`,
    '',
    '## Setup',
    '',
    `Worker start ${f(s.worker.startMs, 0)} ms (prebuilt workflow bundle: ${s.worker.prebuiltBundle === null ? '–' : s.worker.prebuiltBundle ? 'yes' : 'no'}). Run ID \`${r.runId}\`.`,
    ...(r.errors.length ? ['', '## Errors', '', ...r.errors.map((e) => `- ${e}`)] : []),
    ...(r.notes?.length ? ['', '## Notes', '', ...r.notes.map((n) => `- ${n}`)] : []),
    ...r.runs
      .flatMap((x) => x.processes.filter((p) => p.tail))
      .flatMap((p) => ['', `Output of a failed \`${p.command}\`:`, '', '```text', p.tail!, '```']),
  ].join('\n')}\n`;
}
