/**
 * `npx tsx bench/factory.ts [--sizes 0,1000,5000] [--repeats N] [--out <dir>]` (also `npm run bench -- --factory …`):
 * LifeTime traffic of steps 1–4 of a deployment (resolve environments, resolve versions, create plan, get plan
 * details) for ONE application on factories of growing size (issue "Correct on a real LifeTime", item 8).
 *
 * Three approaches, in the same process and run, against the same simulator:
 *   - new: the product's own activities (`createActivities` from src/activities), the application given BY NAME; step
 *     2 as of commit 86ef2c3 (the application list without per-environment status, then only the requested
 *     application with its status; LifeTime's list has no name filter);
 *   - new-key: the same product activities, the application given BY KEY (its GUID, looked up once in the simulator's
 *     data before measuring); step 2 as of commit a6f2773 (`GET /applications/{key}/?IncludeEnvStatus=true`, no list);
 *   - old: the same activities, except step 2, done as before 86ef2c3 (the application list WITH every application's
 *     status in every environment, then the requested application picked from it). That old step lives only here,
 *     as `previousResolveVersions`, kept for comparison.
 * Every activity runs in a `MockActivityEnvironment` (a real activity context: `activityInfo()`,
 * `cancellationSignal()`). Requests and response bytes come from the simulator's request log (`sim.requests()`,
 * `responseBytes` = body size as sent, no compression), cleared before each step; the simulator is reset (no plans,
 * same data, generated applications included) before each run. Writes factory.json and FACTORY.md to --out
 * (default bench/) and prints the headline table. Targets are reported, never asserted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cancellationSignal } from '@temporalio/activity';
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import * as prettier from 'prettier';
import { createActivities, toFailure, versionInSource } from '../src/activities';
import { LifeTimeClient, UnknownApplicationError } from '../src/lifetime';
import { startSimulator, type RequestRecord, type SimulatorHandle } from '../src/simulator';
import type { AppRequest, ResolvedApp } from '../src/workflows/messages';
import { f, table } from './report-util';
import { quantile } from './stats';

type Activities = ReturnType<typeof createActivities>;
type ResolveVersions = Activities['resolveVersions'];
export type Approach = 'old' | 'new' | 'new-key';
/** The approaches compared with 'old'. */
export type NewApproach = Exclude<Approach, 'old'>;
const APPROACHES: Approach[] = ['old', 'new', 'new-key'];
const NEW_APPROACHES: NewApproach[] = ['new', 'new-key'];
const LABEL: Record<Approach, string> = {
  old: 'old (list with status)',
  new: 'new, by name (86ef2c3)',
  'new-key': 'new-key, by key (a6f2773)',
};
const STEP_NAMES = ['resolve environments', 'resolve versions', 'create plan', 'get plan details'] as const;

/**
 * THE PREVIOUS APPROACH, KEPT FOR COMPARISON ONLY (not product code): step 2 as `resolveVersions` did it before
 * commit 86ef2c3 — `GET /applications/?IncludeEnvStatus=true`, i.e. every application of the factory with its status
 * in every environment, then the requested applications picked from that list.
 */
export function previousResolveVersions(lt: LifeTimeClient): ResolveVersions {
  return async (input: { sourceKey: string; sourceName: string; apps: AppRequest[] }) => {
    try {
      const notes: string[] = [];
      const needsLookup = input.apps.some((a) => !a.versionKey);
      const all = needsLookup
        ? await lt.applications.list({ includeEnvStatus: true }, { signal: cancellationSignal() })
        : [];
      const apps = input.apps.map((req): ResolvedApp => {
        const zone = req.deploymentZoneKey ?? '';
        if (req.versionKey)
          return { name: req.app ?? req.versionKey, versionKey: req.versionKey, deploymentZoneKey: zone };
        const wanted = req.app!;
        const app = all.find((a) => a.Key === wanted) ?? all.find((a) => a.Name === wanted);
        if (!app)
          throw new UnknownApplicationError(
            wanted,
            all.map((a) => a.Name),
          );
        return versionInSource(app, input, zone, notes);
      });
      return { apps, notes };
    } catch (err) {
      throw toFailure(err);
    }
  };
}

// ---- measurement ----------------------------------------------------------------------------------------------

export interface Call {
  method: string;
  route: string;
  query: string;
  status: number;
  responseBytes: number;
}
export interface StepFigures {
  step: number;
  name: string;
  requests: number;
  responseBytes: number;
  calls: Call[];
  /** Wall ms of the activity call, one per measured repetition. */
  wallMs: number[];
}
export interface RunFigures {
  approach: Approach;
  steps: StepFigures[];
  requests: number;
  responseBytes: number;
  wallMs: number[];
  /** How step 2 was given the application: its name ('old', 'new') or its key ('new-key'). */
  appRequest: string;
  /** What step 2 resolved (every approach must agree). */
  resolved: { key?: string; name: string; versionKey: string; versionLabel?: string };
  planConflicts: number;
}
export interface SizeFigures {
  /** Applications generated on top of the seed (0: the seed alone). */
  generated: number;
  label: string;
  /** Applications in the factory (seed + generated). */
  applications: number;
  modules: number;
  environments: number;
  /** `sim.reset()` kept the generated applications (checked after the last run). */
  resetKeepsData: boolean;
  runs: Record<Approach, RunFigures>;
  /** Old bytes / this approach's bytes over steps 1–4, and for step 2 alone. */
  ratio: Record<NewApproach, { steps1to4: number; step2: number }>;
  sameResult: boolean;
  /**
   * Bytes of the responses of step 2, by request. `withoutListBytes`: the new approach's steps 1–4 minus its list
   * (arithmetic); `keyMatchesArithmetic`: the measured new-key steps 1–4 equal it.
   */
  breakdown: {
    oldListBytes: number;
    newListBytes: number;
    newAppBytes: number;
    withoutListBytes: number;
    keyMatchesArithmetic: boolean;
  };
}
export interface TargetVerdict {
  /** Old bytes / this approach's bytes over steps 1–4 on 1,000 generated applications (null: not measured). */
  ratio: number | null;
  met: boolean | null;
}
export interface FactoryResults {
  /** 2: three approaches (new-key added), ratio and target per approach. */
  schema: 2;
  command: string;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: { cpus: string; memoryGB: number; node: string; os: string };
  /** `appKey`: the application's key, given to step 2 by the new-key approach. */
  deployment: { app: string; appKey: string; source: string; target: string };
  repeats: number;
  sizes: SizeFigures[];
  target: { text: string } & Record<NewApproach, TargetVerdict>;
  errors: string[];
}

interface Args {
  sizes: number[];
  repeats: number;
  out: string;
  app: string;
  source: string;
  target: string;
}

const USAGE =
  'usage: npx tsx bench/factory.ts [--sizes 0,1000,5000] [--repeats N] [--out <dir>] [--app <name>] [--from <env>] [--to <env>]';

function parseArgs(argv: string[]): Args {
  const a: Args = {
    sizes: [0, 1000, 5000],
    repeats: 10,
    out: __dirname,
    app: 'EmployeeBackoffice',
    source: 'Development',
    target: 'Production',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--sizes') a.sizes = value().split(',').map(Number);
    else if (flag === '--repeats') a.repeats = Number(value());
    else if (flag === '--out') a.out = path.resolve(value());
    else if (flag === '--app') a.app = value();
    else if (flag === '--from') a.source = value();
    else if (flag === '--to') a.target = value();
    else if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument ${JSON.stringify(flag)}\n${USAGE}`);
  }
  if (!a.sizes.length || a.sizes.some((n) => !Number.isInteger(n) || n < 0 || n > 100_000))
    throw new Error(`--sizes: integers from 0 to 100000\n${USAGE}`);
  if (!Number.isInteger(a.repeats) || a.repeats < 1 || a.repeats > 50) throw new Error(`--repeats: 1 to 50\n${USAGE}`);
  return a;
}

const sizeLabel = (n: number): string => (n === 0 ? 'seed' : `seed + ${n.toLocaleString('en-US')} generated`);

function calls(records: RequestRecord[]): Call[] {
  return records.map((r) => ({
    method: r.method,
    route: r.route ?? r.path,
    query: new URLSearchParams(r.query).toString(),
    status: r.status,
    responseBytes: r.responseBytes,
  }));
}

/** The activities' own log lines ("plan created" …) are not part of the measurement. */
const quiet: Logger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** Runs `fn` in a fresh activity context; its wall time and the LifeTime requests it made. */
async function measured<R>(
  sim: SimulatorHandle,
  fn: () => Promise<R>,
): Promise<{ value: R; wallMs: number; records: RequestRecord[] }> {
  sim.clearRequests();
  const env = new MockActivityEnvironment({ activityType: 'bench-factory' }, { logger: quiet });
  const t0 = performance.now();
  const value = (await env.run(fn)) as R;
  const wallMs = performance.now() - t0;
  return { value, wallMs, records: sim.requests() };
}

interface OneRun {
  steps: { records: RequestRecord[]; wallMs: number }[];
  resolved: ResolvedApp;
  conflicts: number;
}

/** Steps 1–4 once, after a reset (no plans; same data); step 2 is given the application as `app` (name or key). */
async function runOnce(
  sim: SimulatorHandle,
  acts: Activities,
  step2: ResolveVersions,
  app: string,
  args: Args,
): Promise<OneRun> {
  sim.reset();
  const s1 = await measured(sim, () => acts.resolveEnvironments({ source: args.source, target: args.target }));
  const { source, target } = s1.value;
  const s2 = await measured(sim, () => step2({ sourceKey: source.key, sourceName: source.name, apps: [{ app }] }));
  const s3 = await measured(sim, () =>
    acts.createPlan({
      marker: `[lifetime-deploy:bench-factory:${Math.random().toString(16).slice(2, 10)}]`,
      notes: 'bench/factory.ts',
      sourceKey: source.key,
      targetKey: target.key,
      apps: s2.value.apps.map((a) => ({ versionKey: a.versionKey, deploymentZoneKey: a.deploymentZoneKey })),
    }),
  );
  if (s3.value.reused) throw new Error('createPlan reused a plan after a reset');
  const s4 = await measured(sim, () => acts.getPlan(s3.value.key));
  return {
    steps: [s1, s2, s3, s4].map((s) => ({ records: s.records, wallMs: s.wallMs })),
    resolved: s2.value.apps[0]!,
    conflicts: s4.value.conflicts.length,
  };
}

function breakdown(runs: Record<Approach, RunFigures>): SizeFigures['breakdown'] {
  const list = (a: Approach): number =>
    runs[a].steps[1]!.calls.filter((c) => c.route === '/applications/').reduce((n, c) => n + c.responseBytes, 0);
  const newListBytes = list('new');
  const step2 = runs.new.steps[1]!.responseBytes;
  const withoutListBytes = runs.new.responseBytes - newListBytes;
  return {
    oldListBytes: list('old'),
    newListBytes,
    newAppBytes: step2 - newListBytes,
    withoutListBytes,
    keyMatchesArithmetic: list('new-key') === 0 && runs['new-key'].responseBytes === withoutListBytes,
  };
}

const signature = (r: OneRun): string =>
  JSON.stringify(
    r.steps.map((s) => calls(s.records).map((c) => [c.method, c.route, c.query, c.status, c.responseBytes])),
  );

async function measureSize(
  generated: number,
  args: Args,
  log: (l: string) => void,
  errors: string[],
): Promise<SizeFigures> {
  const sim = await startSimulator({ port: 0, ...(generated ? { generateApps: generated } : {}) });
  try {
    const data = sim.data();
    const applications = data.applications.length;
    const modules = data.applications.reduce((n, a) => n + a.modules.length, 0);
    // the application's key for new-key, looked up once in the simulator's data, before measuring (a name or a key)
    const target =
      data.applications.find((a) => a.key === args.app) ?? data.applications.find((a) => a.name === args.app);
    if (!target)
      throw new Error(`${sizeLabel(generated)}: no application ${JSON.stringify(args.app)} in the simulator`);
    log(`${sizeLabel(generated)}: ${applications} applications, ${modules} modules; ${target.name} is ${target.key}`);
    const lt = new LifeTimeClient({ baseUrl: sim.url, token: sim.token });
    const acts = createActivities(lt);
    const step2: Record<Approach, ResolveVersions> = {
      old: previousResolveVersions(lt),
      // By name: a worker's first deployment (fresh activities, so no application index yet): the list is paid.
      // Later deployments by name on the same worker read the index instead and cost what new-key costs.
      new: (input) => createActivities(lt).resolveVersions(input),
      'new-key': acts.resolveVersions,
    };
    const appRequest: Record<Approach, string> = { old: args.app, new: args.app, 'new-key': target.key };
    // one warm-up run per approach (JIT, keep-alive connection), not recorded
    for (const a of APPROACHES) await runOnce(sim, acts, step2[a], appRequest[a], args);
    const runs: Record<Approach, OneRun[]> = { old: [], new: [], 'new-key': [] };
    for (let rep = 0; rep < args.repeats; rep++) {
      // rotate the order so no approach always runs first (on a colder process) or last
      const order = APPROACHES.map((_, i) => APPROACHES[(i + rep) % APPROACHES.length]!);
      for (const a of order) runs[a].push(await runOnce(sim, acts, step2[a], appRequest[a], args));
    }
    const resetKeepsData = (sim.reset(), sim.data().applications.length === applications);
    if (!resetKeepsData) errors.push(`${sizeLabel(generated)}: sim.reset() dropped applications`);
    const figures = {} as Record<Approach, RunFigures>;
    for (const a of APPROACHES) {
      const all = runs[a];
      const first = all[0]!;
      if (all.some((r) => signature(r) !== signature(first)))
        errors.push(`${sizeLabel(generated)} ${a}: requests or bytes differ between repetitions (first one reported)`);
      const steps = first.steps.map((s, i): StepFigures => {
        const c = calls(s.records);
        return {
          step: i + 1,
          name: STEP_NAMES[i]!,
          requests: c.length,
          responseBytes: c.reduce((n, x) => n + x.responseBytes, 0),
          calls: c,
          wallMs: all.map((r) => Math.round(r.steps[i]!.wallMs * 100) / 100),
        };
      });
      figures[a] = {
        approach: a,
        steps,
        requests: steps.reduce((n, s) => n + s.requests, 0),
        responseBytes: steps.reduce((n, s) => n + s.responseBytes, 0),
        wallMs: all.map((r) => Math.round(r.steps.reduce((n, s) => n + s.wallMs, 0) * 100) / 100),
        appRequest: appRequest[a],
        resolved: {
          key: first.resolved.key,
          name: first.resolved.name,
          versionKey: first.resolved.versionKey,
          versionLabel: first.resolved.versionLabel,
        },
        planConflicts: first.conflicts,
      };
    }
    const sameResult = APPROACHES.every(
      (a) => JSON.stringify(figures[a].resolved) === JSON.stringify(figures.old.resolved),
    );
    if (!sameResult) errors.push(`${sizeLabel(generated)}: old, new and new-key step 2 resolved different versions`);
    const ratios = (a: NewApproach): { steps1to4: number; step2: number } => ({
      steps1to4: round2(figures.old.responseBytes / figures[a].responseBytes),
      step2: round2(figures.old.steps[1]!.responseBytes / figures[a].steps[1]!.responseBytes),
    });
    const size: SizeFigures = {
      generated,
      label: sizeLabel(generated),
      applications,
      modules,
      environments: data.environments.length,
      resetKeepsData,
      runs: figures,
      ratio: { new: ratios('new'), 'new-key': ratios('new-key') },
      sameResult,
      breakdown: breakdown(figures),
    };
    if (!size.breakdown.keyMatchesArithmetic)
      errors.push(`${sizeLabel(generated)}: new-key bytes differ from the new approach's bytes without its list`);
    log(
      `${size.label}: ` +
        APPROACHES.map(
          (a) =>
            `${a} ${figures[a].requests} requests ${bytes(figures[a].responseBytes)}` +
            (a === 'old' ? '' : ` (old/${a} ${size.ratio[a].steps1to4}×)`),
        ).join(', '),
    );
    return size;
  } finally {
    await sim.close();
  }
}

// ---- report ---------------------------------------------------------------------------------------------------

const round2 = (v: number): number => Math.round(v * 100) / 100;
const int = (n: number): string => n.toLocaleString('en-US');
/** Exact bytes and a decimal unit (kB = 1,000 B, MB = 1,000,000 B). */
function bytes(n: number): string {
  const unit = n >= 1e6 ? `${f(n / 1e6, 2)} MB` : n >= 1e3 ? `${f(n / 1e3, 1)} kB` : '';
  return unit ? `${int(n)} B (${unit})` : `${int(n)} B`;
}
const median = (v: number[]): string => f(quantile(v, 0.5), 1);
/** `old / now` as "3.16×" (two decimals under 10×, one above, thousands separated). */
const ratio = (old: number, now: number): string =>
  `${(old / now).toLocaleString('en-US', { maximumFractionDigits: now && old / now < 10 ? 2 : 1 })}×`;

const TARGET = 'on 1,000 applications, steps 1–4 transfer at least 10× fewer bytes than the old approach';

export function renderFactoryReport(r: FactoryResults): string {
  const L: string[] = [];
  L.push('# LifeTime traffic of steps 1–4 on a large factory', '');
  L.push(
    'Issue "Correct on a real LifeTime", item 8. Generated by `bench/factory.ts` from `factory.json` of the same run ' +
      '(`npx tsx bench/factory.ts`, or `npm run bench -- --factory`).',
    '',
  );
  L.push(
    table(
      ['', ''],
      [
        ['command', `\`${r.command}\``],
        ['date', `${r.startedAt} → ${r.finishedAt} (${r.durationSeconds} s)`],
        ['machine', `${r.machine.cpus}; ${r.machine.memoryGB} GB; Node ${r.machine.node}; ${r.machine.os}`],
        [
          'deployment',
          `${r.deployment.app} (key \`${r.deployment.appKey}\`) from ${r.deployment.source} to ${r.deployment.target}`,
        ],
        ['repetitions', `${r.repeats} per approach and factory size (after one warm-up run each)`],
      ],
    ),
    '',
  );
  L.push(
    'Three approaches, each running steps 1–4 with the same activities except where stated:',
    '',
    `- **${LABEL.old}**: step 2 as before commit 86ef2c3, \`GET /applications/?IncludeEnvStatus=true\` (every ` +
      'application with its status in every environment), then the application picked by name; kept in the ' +
      'benchmark only, as the baseline.',
    `- **${LABEL.new}**: the product's activities, the application given by its name (\`${r.deployment.app}\`): the ` +
      'application list without status (LifeTime has no name filter), then the one application with its status.',
    `- **${LABEL['new-key']}**: the product's activities, the application given by its key ` +
      `(\`${r.deployment.appKey}\`): \`GET /applications/{key}/?IncludeEnvStatus=true\` only, no list.`,
    '',
  );

  L.push('## Target', '');
  const verdictRow = (a: NewApproach): string[] => {
    const t = r.target[a];
    const why =
      a === 'new'
        ? " — LifeTime's application list has no filter by name, so a name costs the whole list"
        : ' — the application is read directly, without the list';
    return [
      TARGET,
      LABEL[a],
      t.ratio === null ? 'not measured (no 1,000-application run)' : `old/${a} bytes of steps 1–4: ${f(t.ratio, 1)}×`,
      t.met === null
        ? '–'
        : t.met
          ? `**met**: ${f(t.ratio!, 1)}×${why}`
          : `**missed**: ${f(t.ratio!, 1)}× instead of at least 10×${why}`,
    ];
  };
  L.push(table(['target', 'approach', 'measured', 'verdict'], NEW_APPROACHES.map(verdictRow)), '');

  const k = r.sizes.find((s) => s.generated === 1000) ?? r.sizes[r.sizes.length - 1]!;
  const kn = k.runs.new;
  const kk = k.runs['new-key'];
  const ko = k.runs.old;
  const keyBytes = r.sizes.map((s) => s.runs['new-key'].responseBytes);
  const keyConstant = keyBytes.every((b) => b === keyBytes[0]);
  L.push(
    `On ${k.label} (${int(k.applications)} applications) the old approach transfers ${bytes(ko.responseBytes)} ` +
      `in steps 1–4 (${ko.requests} requests). **By name**, the product transfers ${bytes(kn.responseBytes)}: ` +
      `${f(k.ratio.new.steps1to4, 2)}× fewer bytes, with one request more (${kn.requests}). Its step 2 still lists ` +
      'every application, only without its per-environment status, so its bytes still grow with the factory and ' +
      'the ratio stays near the same value at every size: the target is missed by name, and cannot be met by name ' +
      "as long as LifeTime's application list has no name filter. **By key**, the product transfers " +
      `${bytes(kk.responseBytes)} in ${kk.requests} requests: ${f(k.ratio['new-key'].steps1to4, 1)}× fewer bytes ` +
      `than the old approach, the target met` +
      (keyConstant
        ? `; that is the same ${int(keyBytes[0]!)} B at every factory size measured, from ` +
          `${int(r.sizes[0]!.applications)} to ${int(r.sizes[r.sizes.length - 1]!.applications)} applications.`
        : `; its bytes range from ${bytes(Math.min(...keyBytes))} to ${bytes(Math.max(...keyBytes))} over the ` +
          'factory sizes.'),
    '',
  );

  L.push('## Steps 1–4 per factory size and approach', '');
  L.push(
    'Response bytes are the LifeTime response bodies as the simulator sent them (uncompressed). Wall time is the ' +
      'median of the repetitions, in ms, information only (loopback, no network latency).',
    '',
  );
  const headRows: (string | number)[][] = [];
  for (const s of r.sizes)
    for (const a of APPROACHES) {
      const run = s.runs[a];
      headRows.push([
        `${s.label} (${int(s.applications)} apps)`,
        LABEL[a],
        run.requests,
        bytes(run.responseBytes),
        bytes(run.steps[1]!.responseBytes),
        a === 'old' ? '–' : ratio(s.runs.old.responseBytes, run.responseBytes),
        median(run.wallMs),
      ]);
    }
  L.push(
    table(
      [
        'factory',
        'approach',
        'LifeTime requests',
        'response bytes, steps 1–4',
        'of which step 2',
        'old/this bytes',
        'wall ms (median)',
      ],
      headRows,
    ),
    '',
  );

  L.push('## Per step', '');
  L.push(
    'Requests and response bytes per step and approach; the wall time is the median per step, in ms, in the order ' +
      'old / new / new-key.',
    '',
  );
  for (const s of r.sizes) {
    L.push(`### ${s.label}: ${int(s.applications)} applications, ${int(s.modules)} modules`, '');
    const cells = (pick: (a: Approach) => { requests: number; responseBytes: number; wallMs: number[] }) => {
      const o = pick('old');
      const n = pick('new');
      const kk = pick('new-key');
      return [
        o.requests,
        bytes(o.responseBytes),
        n.requests,
        bytes(n.responseBytes),
        kk.requests,
        bytes(kk.responseBytes),
        ratio(o.responseBytes, n.responseBytes),
        ratio(o.responseBytes, kk.responseBytes),
        [o, n, kk].map((x) => median(x.wallMs)).join(' / '),
      ];
    };
    const rows: (string | number)[][] = s.runs.old.steps.map((o, i) => [
      `${o.step}. ${o.name}`,
      ...cells((a) => s.runs[a].steps[i]!),
    ]);
    rows.push(['**steps 1–4**', ...cells((a) => s.runs[a])]);
    L.push(
      table(
        [
          'step',
          'old: requests',
          'old: bytes',
          'new: requests',
          'new: bytes',
          'new-key: requests',
          'new-key: bytes',
          'old/new bytes',
          'old/new-key bytes',
          'wall ms',
        ],
        rows,
      ),
      '',
    );
    L.push(
      `All three approaches resolved ${s.runs.new.resolved.name} to version ` +
        `${s.runs.new.resolved.versionLabel ?? '?'} (\`${s.runs.new.resolved.versionKey}\`)` +
        `${s.sameResult ? '' : ' — **they disagree**'}; the plans had ` +
        `${APPROACHES.map((a) => s.runs[a].planConflicts).join(' / ')} conflicts (old / new / new-key).`,
      '',
    );
  }

  L.push('## Growth with the factory', '');
  const base = r.sizes[0]!;
  L.push(
    table(
      [
        'factory',
        'applications',
        ...APPROACHES.map((a) => `${a}: bytes, steps 1–4`),
        ...APPROACHES.map((a) => `${a}: × first size`),
      ],
      r.sizes.map((s) => [
        s.label,
        int(s.applications),
        ...APPROACHES.map((a) => bytes(s.runs[a].responseBytes)),
        ...APPROACHES.map((a) => `${f(s.runs[a].responseBytes / base.runs[a].responseBytes, 1)}×`),
      ]),
    ),
    '',
  );
  const last = r.sizes[r.sizes.length - 1]!;
  if (last !== base && last.applications > base.applications) {
    const per = (a: Approach): number =>
      (last.runs[a].responseBytes - base.runs[a].responseBytes) / (last.applications - base.applications);
    L.push(
      `From ${int(base.applications)} to ${int(last.applications)} applications, steps 1–4 grow by ` +
        `${int(Math.round(per('old')))} bytes per application with the old approach, ${int(Math.round(per('new')))} ` +
        `bytes per application by name and ${int(Math.round(per('new-key')))} by key. Old and by-name grow ` +
        "linearly: the growth is step 2's application list, the only response whose size follows the factory; the " +
        `by-name list carries no per-environment status, so it is ${f(per('old') / per('new'), 1)}× smaller per ` +
        'application. By key there is no list' +
        (per('new-key') === 0
          ? ', so no growth at all. '
          : `; its growth of ${f(per('new-key'), 2)} bytes per application comes from elsewhere. `) +
        "Steps 1, 3 and 4 do not depend on the factory's size.",
      '',
    );
  }

  L.push('## Where step 2 spends its bytes', '');
  L.push(
    'By name, step 2 makes two requests: the application list without status (every application, about ' +
      `${int(Math.round(last.breakdown.newListBytes / last.applications))} B each: key, name, kind, team, ` +
      'description, URL path, icon hash, icon and details URLs) and the one requested application with its status ' +
      "in every environment. By key it makes only the second request (the options of LifeTime v2's application " +
      'list are IncludeModules and IncludeEnvStatus, with no filter by name, so only a key avoids the list). The ' +
      'last column checks that the measured new-key total equals the by-name total minus its list.',
    '',
  );
  L.push(
    table(
      [
        'factory',
        'old: list with status, per application',
        'new: list without status',
        'per application',
        'the one application with status',
        'new-key: steps 1–4 (measured); old/new-key',
        '= new minus its list',
      ],
      r.sizes.map((s) => {
        const b = s.breakdown;
        const kb = s.runs['new-key'].responseBytes;
        return [
          s.label,
          `${int(Math.round(b.oldListBytes / s.applications))} B`,
          bytes(b.newListBytes),
          `${int(Math.round(b.newListBytes / s.applications))} B`,
          bytes(b.newAppBytes),
          `${bytes(kb)}; ${ratio(s.runs.old.responseBytes, kb)}`,
          b.keyMatchesArithmetic ? 'yes' : `**no** (${bytes(b.withoutListBytes)})`,
        ];
      }),
    ),
    '',
  );
  L.push(
    'Per application, the old list carries the application record plus one status per environment ' +
      `(${last.environments} environments here); the by-name list still carries the record. So the old/new ratio of ` +
      'step 2 tends to (record + statuses) / record, about ' +
      `${f(last.breakdown.oldListBytes / last.breakdown.newListBytes, 1)}× on this data, whatever the factory's size; ` +
      'it would be higher with more environments per application, lower with fewer. By key, the ratio grows with ' +
      'the factory instead: the old list grows, the one application does not.',
    '',
  );

  L.push('## What is measured', '');
  const sample = r.sizes.find((s) => s.generated > 0) ?? base;
  const callsOf = (a: Approach): string =>
    sample.runs[a].steps
      .map((s) =>
        s.calls
          .map((c) => `${s.step}: \`${c.method} ${c.route}${c.query ? `?${c.query}` : ''}\` → ${c.status}`)
          .join('; '),
      )
      .join('; ');
  L.push(
    "- By name is measured as a worker's first deployment (fresh activities each run). The worker then keeps an " +
      'index of application names → keys (10 minutes; refreshed on a miss, a 404 or a renamed application), so ' +
      'later deployments by name on the same worker make the requests of new-key (tested in ' +
      '`test/workflows/deploy.test.ts`).',
  );
  L.push(
    '- The new and new-key approaches are the product: `createActivities(new LifeTimeClient(…))` from ' +
      '`src/activities`, `resolveEnvironments`, `resolveVersions`, `createPlan` and `getPlan` called directly, each ' +
      'in a `MockActivityEnvironment` (`@temporalio/testing`), a real activity context for one function. They ' +
      `differ only in the request given to \`resolveVersions\`: \`{ app: "${sample.runs.new.appRequest}" }\` (new) ` +
      `or \`{ app: "${sample.runs['new-key'].appRequest}" }\` (new-key, the key looked up once in the simulator's ` +
      'data before measuring; the generated factories keep the seed applications and their keys).',
    '- The old approach runs the same activities except step 2, which is `previousResolveVersions` in ' +
      '`bench/factory.ts`: the step as it was before commit 86ef2c3 (`GET /applications/?IncludeEnvStatus=true`, then ' +
      'the application picked from the list), kept in the benchmark only, for this comparison.',
    ...APPROACHES.map((a) => `- Requests (${sample.label}), ${a}: ${callsOf(a)}.`),
    '- The simulator (`startSimulator({ port: 0, generateApps: N })`, about 10 modules per generated application) ' +
      'records every LifeTime request with its response body size; the log is cleared before each step ' +
      '(`sim.clearRequests()`), so each step counts its own requests. Before each run `sim.reset()` removes the ' +
      'plans (step 3 then finds no earlier plan with the marker and creates one); it keeps the generated ' +
      `applications (checked: ${r.sizes.every((s) => s.resetKeepsData) ? 'yes, at every size' : '**no**'}). ` +
      'The order of the approaches rotates from one repetition to the next.',
    '- Requests and bytes are the same in every repetition (checked); the tables show them once. Wall times ' +
      'include the client (HTTP over loopback, JSON parsing and zod validation) and vary from run to run.',
    "- Steps 3 and 4 read the target's recent plans and the new plan: on a real LifeTime their size follows the " +
      'number of plans on the target in the last 8 days, not the number of applications; here the target has none ' +
      'but ours.',
    '',
  );
  if (r.errors.length) L.push('## Errors', '', ...r.errors.map((e) => `- ${e}`), '');
  return L.join('\n');
}

// ---- main -----------------------------------------------------------------------------------------------------

function commandLine(argv: string[]): string {
  const args = argv.join(' ');
  return process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench -- --factory${args ? ` ${args}` : ''}`
    : `npx tsx bench/factory.ts${args ? ` ${args}` : ''}`;
}

/** Runs the factory benchmark; writes factory.json and FACTORY.md. Exit code: 0, or 1 when something went wrong. */
export async function runFactory(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const started = Date.now();
  const log = (line: string): void =>
    void process.stderr.write(`[factory +${Math.round((Date.now() - started) / 1000)}s] ${line}\n`);
  const cpus = os.cpus();
  const errors: string[] = [];
  const sizes: SizeFigures[] = [];
  for (const n of args.sizes) sizes.push(await measureSize(n, args, log, errors));
  const at1000 = sizes.find((s) => s.generated === 1000);
  const appKey = sizes[0]!.runs['new-key'].appRequest;
  if (sizes.some((s) => s.runs['new-key'].appRequest !== appKey))
    errors.push(`${args.app} has a different key in some factory sizes`);
  const verdict = (a: NewApproach): TargetVerdict => ({
    ratio: at1000 ? at1000.ratio[a].steps1to4 : null,
    met: at1000 ? at1000.ratio[a].steps1to4 >= 10 : null,
  });
  const results: FactoryResults = {
    schema: 2,
    command: commandLine(argv),
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: {
      cpus: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown'}`,
      memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
    },
    deployment: { app: args.app, appKey, source: args.source, target: args.target },
    repeats: args.repeats,
    sizes,
    target: { text: TARGET, new: verdict('new'), 'new-key': verdict('new-key') },
    errors,
  };
  const style = (await prettier.resolveConfig(path.join(__dirname, 'FACTORY.md'))) ?? {};
  const json = await prettier.format(JSON.stringify(results), { ...style, parser: 'json' });
  const md = await prettier.format(renderFactoryReport(results), { ...style, parser: 'markdown' });
  mkdirSync(args.out, { recursive: true });
  writeFileSync(path.join(args.out, 'factory.json'), json);
  writeFileSync(path.join(args.out, 'FACTORY.md'), md);
  const summary = md.slice(md.indexOf('## Target'), md.indexOf('## Per step')).trim();
  process.stdout.write(`${summary}\n\n`);
  log(`wrote ${path.join(args.out, 'factory.json')} and FACTORY.md in ${results.durationSeconds} s`);
  for (const e of errors) log(`error: ${e}`);
  return errors.length ? 1 : 0;
}

if (require.main === module) {
  runFactory(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench/factory failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
