/**
 * The "realistic profile" of a deployment: the ordered steps LifeTime goes through (with the log messages of
 * reference §5.4), their status, and how long each takes at speed 1. It is a pure, deterministic function of
 * the plan (source, target, applications and modules), exported so that a benchmark can reuse it. The first
 * step is already `running`: LifeTime moves a plan to `running` before it answers `start` with 202.
 *
 * Totals fall between 2 and 30 minutes: a one-app plan takes about 3–5 minutes, ten apps with thirty modules
 * about half an hour. The simulator divides durations by `speed` (wall-clock mode) or ignores them (per-poll).
 */
import { createHash } from 'node:crypto';
import { SUCCESSFUL_END, type DeploymentStatus, type PlanEndStatus } from '../lifetime/schemas';

export type LogType = 'Info' | 'Warning' | 'Error';
export interface StepMessage {
  message: string;
  type: LogType;
}
export interface Step {
  /** Stable id, e.g. `upload`, `upload:HRCore`, `module-db:HRCore_CS`, `completed` (`queued`: see `queuedFirst`). */
  id: string;
  /** What `GET …/status/` says while the plan is in this step. */
  status: DeploymentStatus;
  /** LifeTime time spent in the step before the next one begins (ms, speed 1). */
  durationMs: number;
  /** Appended to the DeploymentLog when the step begins. */
  messages: StepMessage[];
}
export interface ProfileInput {
  source: string;
  target: string;
  applications: { name: string; modules: { name: string; kind?: string }[] }[];
}
export interface Profile {
  steps: Step[];
  /** Index of the step where staging is deployed on the target: `abort` is refused from this step on. */
  pointOfNoReturn: number;
  /** Index of the "Deploying modules of …" step (stage one ends before the point of no return). */
  compileIndex: number;
  totalMs: number;
}

const MIN_TOTAL_MS = 2 * 60_000;
const MAX_TOTAL_MS = 30 * 60_000;

/** A deterministic factor in [0.75, 1.35) from a name, so modules do not all take the same time. */
function jitter(name: string): number {
  const n = createHash('sha1').update(name).digest().readUInt16BE(0);
  return 0.75 + (n / 65536) * 0.6;
}

const info = (message: string): StepMessage => ({ message, type: 'Info' });
const step = (id: string, durationMs: number, ...messages: StepMessage[]): Step => ({
  id,
  status: 'running',
  durationMs: Math.round(durationMs),
  messages,
});

/** The nominal (successful) steps of a plan. */
export function realisticProfile(input: ProfileInput): Profile {
  const { source, target, applications } = input;
  const modules = applications.flatMap((a) => a.modules);
  const steps: Step[] = [
    step('upload', 5_000, info(`Uploading modules from ${source} to ${target}`)),
    ...applications.map((a) =>
      step(`upload:${a.name}`, 8_000 + 4_000 * a.modules.length, info(`Uploading '${a.name}' from ${source}`)),
    ),
    step('zones', 8_000, info(`Applying Deployment Zones configurations in ${target} Environment`)),
    step('solution', 15_000 + 5_000 * modules.length, info(`Creating solution pack in ${target}`)),
    step(
      'compile',
      30_000 + 15_000 * modules.reduce((s, m) => s + jitter(m.name), 0),
      info(`Deploying modules of '${source}_to_${target}'.`),
    ),
  ];
  const compileIndex = steps.length - 1;
  for (const m of modules) {
    const f = jitter(`${m.name}#deploy`);
    const db =
      m.kind === 'Extension'
        ? [info(`Applying database mappings of extension '${m.name}'.`)]
        : [
            info(`Creating tables for module '${m.name}'.`),
            info(`Creating indexes for module '${m.name}'.`),
            info(`Updating static entities of module '${m.name}'.`),
          ];
    steps.push(step(`module-db:${m.name}`, 10_000 * f, ...db));
    steps.push(
      step(
        `module-deploy:${m.name}`,
        25_000 * f,
        info(`Deploying module '${m.name}'.`),
        info(`Updating status of module '${m.name}'.`),
      ),
    );
  }
  steps.push(step('sync', 15_000, info(`Synchronizing data with '${target}' environment.`)));
  steps.push(
    step(
      'versions',
      8_000 + 2_000 * applications.length,
      info(`Updating application versions for '${target}' environment.`),
    ),
  );
  steps.push({ ...step('completed', 0, info('Deploy completed')), status: SUCCESSFUL_END });
  const profile = { steps, pointOfNoReturn: compileIndex + 1, compileIndex, totalMs: 0 };
  const raw = sumMs(steps);
  return scaleProfile(profile, Math.min(MAX_TOTAL_MS, Math.max(MIN_TOTAL_MS, raw)));
}

const sumMs = (steps: Step[]): number => steps.reduce((s, x) => s + x.durationMs, 0);

/**
 * The plan still says `saved` for one step after `start` (scenario `savedAfterStart`). Real LifeTime moves a
 * plan to `running` before it answers 202; this lenient reading exists so clients can be tested against it.
 */
export function queuedFirst(p: Profile): Profile {
  const queued: Step = { ...step('queued', 3_000), status: 'saved' };
  return {
    steps: [queued, ...p.steps],
    pointOfNoReturn: p.pointOfNoReturn + 1,
    compileIndex: p.compileIndex + 1,
    totalMs: p.totalMs + queued.durationMs,
  };
}

/** Scales every duration so the whole plan takes `totalMs` (LifeTime time). */
export function scaleProfile(p: Profile, totalMs: number): Profile {
  const raw = sumMs(p.steps);
  const f = raw > 0 ? totalMs / raw : 0;
  const steps = p.steps.map((s) => ({ ...s, durationMs: Math.round(s.durationMs * f) }));
  // rounding remainder on the longest step, so the total is exact
  const longest = steps.reduce((best, s, i) => (s.durationMs > steps[best]!.durationMs ? i : best), 0);
  if (steps[longest] && f > 0) steps[longest].durationMs += Math.round(totalMs) - sumMs(steps);
  return { ...p, steps, totalMs: sumMs(steps) };
}

export type Outcome = PlanEndStatus;

const lastIndex = (steps: Step[], pred: (s: Step) => boolean): number => {
  for (let i = steps.length - 1; i >= 0; i--) if (pred(steps[i]!)) return i;
  return -1;
};

/** The two steps of an abort: `aborting` (lasts a step) then the terminal `aborted`. */
export function abortSteps(reason: StepMessage, final: StepMessage): Step[] {
  return [
    { id: 'aborting', status: 'aborting', durationMs: 10_000, messages: [reason] },
    { id: 'aborted', status: 'aborted', durationMs: 0, messages: [final] },
  ];
}

/** Rewrites the nominal steps for an outcome other than success. Log types follow the outcome. */
export function applyOutcome(p: Profile, outcome: Outcome, target: string): Profile {
  const steps = p.steps.map((s) => ({ ...s, messages: [...s.messages] }));
  const lastDeploy = Math.max(
    lastIndex(steps, (s) => s.id.startsWith('module-deploy:')),
    p.compileIndex,
  );
  const moduleName = steps[lastDeploy]!.id.split(':')[1] ?? `${target} solution`;
  const done = steps.length - 1;
  if (outcome === 'finished_with_warnings') {
    steps[lastDeploy]!.messages.push({
      type: 'Warning',
      message: `Module '${moduleName}' was published with 2 warnings: deprecated element 'GetEmployees_Legacy' is still referenced.`,
    });
    steps[done] = {
      ...steps[done]!,
      status: 'finished_with_warnings',
      messages: [{ type: 'Warning', message: 'Deploy completed with warnings' }],
    };
    return { ...p, steps };
  }
  if (outcome === 'finished_with_errors') {
    steps[lastDeploy]!.messages = [
      {
        type: 'Error',
        message: `Failed to deploy module '${moduleName}': timeout waiting for the Deployment Controller in ${target}.`,
      },
    ];
    const terminal: Step = {
      id: 'completed',
      status: 'finished_with_errors',
      durationMs: 0,
      messages: [{ type: 'Error', message: 'Deploy finished with errors' }],
    };
    return { ...p, steps: [...steps.slice(0, lastDeploy + 1), terminal] };
  }
  if (outcome === 'aborted') {
    const at = p.compileIndex;
    steps[at] = {
      ...steps[at]!,
      messages: [
        {
          type: 'Error',
          message: `Deployment aborted by LifeTime: lost connection to the Deployment Controller of ${target}.`,
        },
      ],
    };
    const tail = abortSteps(
      { type: 'Warning', message: 'Aborting deployment.' },
      { type: 'Error', message: 'Deployment aborted.' },
    );
    return { ...p, steps: [...steps.slice(0, at + 1), ...tail] };
  }
  return { ...p, steps };
}
