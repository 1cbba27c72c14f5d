/**
 * Part 4: worker start time (spawn → the worker's `worker started` log line), with the prebuilt workflow
 * bundle (dist/workflow-bundle.js, built first with scripts/build-bundle.ts) and without it (the worker
 * bundles the workflow code at start).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../src/dev/temporal-binaries';
import { prebuiltBundleIsFresh } from '../src/worker';
import { spawnWorker } from './env';
import { round, summarize, type Summary } from './stats';

export interface StartupResult {
  bundleBuildMs: number | null;
  bundleBuildError?: string;
  prebuiltMs: number[];
  runtimeBundleMs: number[];
  prebuilt: Summary;
  runtimeBundle: Summary;
  peakRssMB: { prebuilt: number | null; runtimeBundle: number | null };
  errors: string[];
}

/** `tsx scripts/build-bundle.ts` (what `npm run build:bundle` runs); wall ms. */
export function buildBundle(): Promise<{ ms: number; error?: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('scripts', 'build-bundle.ts')], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      resolve(code === 0 ? { ms } : { ms, error: `build-bundle exited with ${code}: ${err.trim()}` });
    });
  });
}

/**
 * Rebuilds dist/workflow-bundle.js when a workflow source is newer (src/worker.ts would otherwise ignore it and
 * bundle at start, which costs start time and memory), so every worker of a run starts the same way.
 */
export async function ensureFreshBundle(log: (line: string) => void): Promise<void> {
  if (prebuiltBundleIsFresh()) return;
  log('  rebuilding dist/workflow-bundle.js (workflow sources changed)');
  const built = await buildBundle();
  if (built.error) log(`  could not rebuild the workflow bundle: ${built.error}`);
}

export async function measureStartup(
  env: { temporalAddress: string; lifetimeUrl: string; lifetimeToken: string; taskQueue: string },
  repeats: number,
  log: (line: string) => void,
): Promise<StartupResult> {
  const errors: string[] = [];
  log('  part 4 · building dist/workflow-bundle.js');
  const built = await buildBundle();
  if (built.error) errors.push(built.error);
  const prebuiltMs: number[] = [];
  const runtimeBundleMs: number[] = [];
  const rss: { prebuilt: number[]; runtimeBundle: number[] } = { prebuilt: [], runtimeBundle: [] };
  for (let i = 0; i < repeats; i++) {
    for (const noPrebuiltBundle of [false, true]) {
      if (!noPrebuiltBundle && built.error) continue;
      const w = spawnWorker({ ...env, noPrebuiltBundle, readyTimeoutMs: 180_000 });
      try {
        const ms = await w.ready;
        if (w.prebuiltBundle !== !noPrebuiltBundle)
          errors.push(`worker said prebuiltBundle=${String(w.prebuiltBundle)}, expected ${String(!noPrebuiltBundle)}`);
        (noPrebuiltBundle ? runtimeBundleMs : prebuiltMs).push(round(ms, 0));
        w.sampler.sample();
        (noPrebuiltBundle ? rss.runtimeBundle : rss.prebuilt).push(w.sampler.window().hwmMB);
        log(`    ${noPrebuiltBundle ? 'bundling at start' : 'prebuilt bundle'}: ${Math.round(ms)} ms`);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      } finally {
        await w.stop();
      }
    }
  }
  const maxOf = (xs: number[]): number | null => (xs.length ? Math.max(...xs) : null);
  return {
    bundleBuildMs: built.error ? null : round(built.ms, 0),
    bundleBuildError: built.error,
    prebuiltMs,
    runtimeBundleMs,
    prebuilt: summarize(prebuiltMs, 0),
    runtimeBundle: summarize(runtimeBundleMs, 0),
    peakRssMB: { prebuilt: maxOf(rss.prebuilt), runtimeBundle: maxOf(rss.runtimeBundle) },
    errors,
  };
}
