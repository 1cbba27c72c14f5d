/**
 * Before the stack tests: a folder for their figures (STACK_REPORT_DIR), which global-teardown.ts reports; the
 * prerequisites, checked once with what to install when one is missing (PostgreSQL, Go); and the Temporal server
 * binaries, built here on a fresh clone (once, minutes: `go install`, then cached in .temporal/server/) so that no
 * test file's set-up has to wait for the build.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureServerBinaries, findPostgres, StackSetupError } from '../../src/dev/stack';

export default function globalSetup(): void {
  process.env.STACK_REPORT_DIR ??= mkdtempSync(path.join(tmpdir(), 'lifetime-deploy-stack-report-'));
  try {
    findPostgres();
    ensureServerBinaries({ log: (line) => process.stdout.write(`\n[stack] ${line}`) });
  } catch (err) {
    if (err instanceof StackSetupError) throw new Error(`The stack tests cannot run here.\n${err.message}`);
    throw err;
  }
}
