/**
 * Determinism: histories recorded from the main scenarios (test/histories/<scenario>.v<n>.json, made with
 * RECORD_HISTORIES=1 npx jest test/workflows) are replayed against the current workflow code. A change that
 * alters the command sequence fails here unless it is guarded with patched(). A negative control replays
 * recorded histories through a deliberately different workflow and expects the replay to fail, so these tests
 * cannot pass by replaying nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOW_TYPE } from '../../src/workflows/messages';
import { RELEASE_WORKFLOW_TYPE } from '../../src/workflows/release-messages';
import { installTestRuntime, workflowBundle } from '../harness';
import { workflowsPath } from './helpers';

const dir = path.resolve(__dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
/** Every recorded deployment is longer than this (the shortest, a gate-deadline reject, has 42 events). */
const MIN_EVENTS = 20;

const loadHistory = (file: string) => historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));

/** Replays a recorded history against the workflows module at `workflows`. */
async function replay(file: string, workflows: string): Promise<void> {
  installTestRuntime();
  const history = loadHistory(file);
  await Worker.runReplayHistory(
    { workflowBundle: await workflowBundle(workflows) },
    history,
    workflowIdOf(file, history),
  );
}

/**
 * The workflow ID to replay under: a release derives its stages' IDs from its own, so its ID is read back from its
 * first child (`<release ID>.stage-1-…`); a deployment's ID does not matter.
 */
function workflowIdOf(file: string, history: ReturnType<typeof loadHistory>): string {
  const child = history.events?.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
    ?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
  return child?.replace(/\.stage-\d+-[^.]*$/, '') ?? file.replace(/\.json$/, '');
}

test('there are recorded histories to replay: deployments (before and after the local-activity poll) and releases', () => {
  expect(files.filter((f) => f.startsWith('release-')).length).toBeGreaterThanOrEqual(5);
  // v1: status polls as activities; v2: as local activities (patch status-poll-local-activity).
  expect(files.filter((f) => f.endsWith('.v1.json')).length).toBeGreaterThanOrEqual(8);
  expect(files.filter((f) => f.endsWith('.v2.json')).length).toBeGreaterThanOrEqual(8);
});

test.each(files)('replays %s against the current workflow code', async (file) => {
  // A whole deployment of the workflow the bundle runs, not an empty or foreign history.
  const history = loadHistory(file);
  expect(history.events?.length).toBeGreaterThan(MIN_EVENTS);
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  expect([WORKFLOW_TYPE, RELEASE_WORKFLOW_TYPE]).toContain(started?.workflowType?.name);
  await expect(replay(file, workflowsPath)).resolves.toBeUndefined();
});

describe('negative control', () => {
  const different = require.resolve('../fixtures/nondeterministic-workflows');

  test.each(['seed-path.v2.json', 'seed-path.v1.json'])(
    'replaying %s through a different deployApplications fails with a DeterminismViolationError',
    async (file) => {
      const error = await replay(file, different).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(DeterminismViolationError);
      expect((error as Error).name).toBe('DeterminismViolationError');
      expect((error as Error).message).toMatch(/nondeterminism/i);
    },
  );
});
