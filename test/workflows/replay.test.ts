/**
 * Determinism: histories recorded from the main scenarios (test/histories/<scenario>.v<n>.json, made with
 * RECORD_HISTORIES=1 npx jest test/workflows) are replayed against the current workflow code. A change that
 * alters the command sequence fails here unless it is guarded with patched().
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { installTestRuntime, workflowBundle } from '../harness';
import { workflowsPath } from './helpers';

const dir = path.resolve(__dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are recorded histories to replay, from before and after the local-activity status poll', () => {
  // v1: status polls as activities; v2: as local activities (patch status-poll-local-activity).
  expect(files.filter((f) => f.endsWith('.v1.json')).length).toBeGreaterThanOrEqual(8);
  expect(files.filter((f) => f.endsWith('.v2.json')).length).toBeGreaterThanOrEqual(8);
});

test.each(files)('replays %s against the current workflow code', async (file) => {
  installTestRuntime();
  const history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
  await expect(
    Worker.runReplayHistory(
      { workflowBundle: await workflowBundle(workflowsPath) },
      history,
      file.replace(/\.json$/, ''),
    ),
  ).resolves.toBeUndefined();
});
