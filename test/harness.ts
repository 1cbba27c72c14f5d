/**
 * The one test harness: real Temporal servers (dev server and time-skipping server from the project's
 * own binaries), one workflow bundle per test file, task queues named after the running test.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { ensureTemporalBinaries } from '../src/dev/temporal-binaries';
import { allSearchAttributeKeys } from '../src/workflows/search-attributes';
import { useStarted } from './lifecycle';

let runtimeInstalled = false;
/** Keep the SDK's own logs quiet in tests (warnings and errors still show). */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger(process.env.TEST_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });
  } catch {
    // Already installed by another module in this process.
  }
}

/** A dev server (`temporal server start-dev`) with the product's search attributes registered. */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  installTestRuntime();
  const { cli } = ensureTemporalBinaries();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      searchAttributes: allSearchAttributeKeys,
      extraArgs: ['--log-level', 'error'],
    },
  });
}

/** The time-skipping test server. */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  installTestRuntime();
  const { testServer } = ensureTemporalBinaries();
  // The time-skipping server has no custom search attributes (no operator service): workflows started on it
  // set `searchAttributes: false` in their request.
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServer } },
  });
}

/**
 * One Temporal test environment (`startDevServer` or `startTimeSkippingServer`) for the enclosing file or describe
 * block: started before its tests (`onStarted` receives it), torn down after the last one.
 */
export function useTestEnvironment(
  start: () => Promise<TestWorkflowEnvironment>,
  onStarted: (env: TestWorkflowEnvironment) => void,
): void {
  useStarted(start, (env) => env.teardown(), onStarted);
}

type Bundle = Awaited<ReturnType<typeof bundleWorkflowCode>>;
const bundles = new Map<string, Promise<Bundle>>();

/** Bundles a workflows module once per test file (jest gives every file its own module registry). */
export function workflowBundle(workflowsPath: string): Promise<Bundle> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}

/** A task queue name derived from the current test's title (unique per test, readable in the UI). */
export function taskQueueForTest(): string {
  const title = expect.getState().currentTestName ?? 'test';
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
  return `${slug}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Creates a worker on the environment's connection for the current test. */
export async function createTestWorker(
  env: TestWorkflowEnvironment,
  opts: { workflowsPath: string; activities?: object; taskQueue?: string } & Partial<WorkerOptions>,
): Promise<{ worker: Worker; taskQueue: string }> {
  const { workflowsPath, taskQueue = taskQueueForTest(), ...rest } = opts;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(workflowsPath),
    ...rest,
  });
  return { worker, taskQueue };
}

/** The event types of a workflow's fetched history, as names like `TimerFired`. */
export async function historyEventTypes(env: TestWorkflowEnvironment, workflowId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const { temporal } = await import('@temporalio/proto');
  const names = temporal.api.enums.v1.EventType;
  return (history.events ?? []).map((e) => {
    const name = names[e.eventType ?? 0] ?? String(e.eventType);
    // EVENT_TYPE_ACTIVITY_TASK_COMPLETED → ActivityTaskCompleted
    return name
      .replace(/^EVENT_TYPE_/, '')
      .toLowerCase()
      .replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
  });
}
