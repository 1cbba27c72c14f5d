/** Before the stack tests: a folder for their figures (STACK_REPORT_DIR), which global-teardown.ts reports. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export default function globalSetup(): void {
  process.env.STACK_REPORT_DIR ??= mkdtempSync(path.join(tmpdir(), 'lifetime-deploy-stack-report-'));
}
