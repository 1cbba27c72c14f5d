/**
 * Imported first by worker-child.ts. With BENCH_NO_PREBUILT_BUNDLE=1, src/worker.ts does not see
 * dist/workflow-bundle.js (existsSync answers false for that one path), so it bundles the workflow code at
 * start, as it does on a checkout without the prebuilt bundle. Nothing is renamed or deleted on disk.
 */
import * as path from 'node:path';

if (process.env.BENCH_NO_PREBUILT_BUNDLE === '1') {
  const fs = process.getBuiltinModule('node:fs');
  const hidden = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');
  const real = fs.existsSync;
  fs.existsSync = (p: Parameters<typeof real>[0]): boolean =>
    typeof p === 'string' && path.resolve(p) === hidden ? false : real(p);
}
