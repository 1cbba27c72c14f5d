/**
 * Per-test wiring for workflow tests: a fresh LifeTime simulator on a free port, a real LifeTime client
 * pointed at it, and a worker running the real workflow bundle and activities on a real Temporal server.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { createNotifyActivities } from '../../src/activities/notify';
import { createVerifyActivities, type VerifySettings } from '../../src/activities/verify';
import { readNotifySettings, type NotifySettings } from '../../src/notify/config';
import { LifeTimeClient } from '../../src/lifetime';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../src/simulator';
import type { deployApplications } from '../../src/workflows';
import { stateQuery, WORKFLOW_TYPE, type DeployRequestInput, type DeployState } from '../../src/workflows/messages';
import { startOptions } from '../../src/starter';
import { createTestWorker, taskQueueForTest, useTestEnvironment } from '../harness';

export const workflowsPath = require.resolve('../../src/workflows');

/** Fast polling for tests (the simulator runs plans at high speed or per poll). */
export const FAST_POLLING = { firstPollSeconds: 0.5, minIntervalSeconds: 0.5, maxIntervalSeconds: 1, backoff: 1.5 };

export function request(overrides: Partial<DeployRequestInput> = {}): DeployRequestInput {
  return {
    applications: [{ app: 'EmployeeBackoffice' }],
    source: 'Development',
    target: 'Production',
    requestedBy: 'ci-bot',
    ...overrides,
    policies: { polling: FAST_POLLING, ...(overrides.policies ?? {}) },
  };
}

export interface Rig {
  sim: SimulatorHandle;
  taskQueue: string;
  start(
    req: DeployRequestInput,
    workflowId?: string,
  ): Promise<WorkflowHandleWithFirstExecutionRunId<typeof deployApplications>>;
  /** Runs `fn` while the worker is up. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function makeRig(
  env: TestWorkflowEnvironment,
  simOptions: SimulatorOptions = {},
  clientToken?: string,
  /** The worker's notification settings (default: none configured). */
  notify: NotifySettings = readNotifySettings({}).settings,
  /** The worker's signing settings (default: no allowed-approvers file). */
  verify: VerifySettings = {},
): Promise<Rig> {
  const sim = await startSimulator({ port: 0, speed: 1200, ...simOptions });
  const client = new LifeTimeClient({
    baseUrl: sim.url,
    token: clientToken ?? sim.token,
    timeoutMs: 5000,
    retryLimit: 1,
  });
  const taskQueue = taskQueueForTest();
  const activities = {
    ...createActivities(client),
    ...createNotifyActivities(notify),
    ...createVerifyActivities(verify),
  };
  const { worker } = await createTestWorker(env, { workflowsPath, activities, taskQueue });
  return {
    sim,
    taskQueue,
    start: (req, workflowId) =>
      env.client.workflow.start<typeof deployApplications>(
        WORKFLOW_TYPE,
        startOptions(req, taskQueue, workflowId ?? `wf-${taskQueue}`),
      ),
    run: (fn) => worker.runUntil(fn()),
    close: () => sim.close(),
  };
}

/**
 * The preamble of a workflow test file: one Temporal environment (dev or time-skipping server) for the file, handed
 * to `onStarted`, and `make()` for a rig per test, closed after it.
 */
export function useRigs(
  start: () => Promise<TestWorkflowEnvironment>,
  onStarted: (env: TestWorkflowEnvironment) => void,
): {
  make(
    simOptions?: SimulatorOptions,
    clientToken?: string,
    notify?: NotifySettings,
    verify?: VerifySettings,
  ): Promise<Rig>;
} {
  let env: TestWorkflowEnvironment | undefined;
  let rig: Rig | undefined;
  useTestEnvironment(start, (started) => {
    env = started;
    onStarted(started);
  });
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });
  return {
    make: async (simOptions, clientToken, notify, verify) =>
      (rig = await makeRig(env!, simOptions, clientToken, notify, verify)),
  };
}

/** Realistic polling for long tests (the defaults). */
export const DEFAULT_POLLING = { firstPollSeconds: 2, minIntervalSeconds: 2, maxIntervalSeconds: 30, backoff: 1.6 };

/** A request for the time-skipping server, which cannot register custom search attributes. */
export const timeSkippingRequest = (o: Partial<DeployRequestInput> = {}): DeployRequestInput => ({
  ...request(o),
  searchAttributes: false,
});

/** Polls the `state` query until `pred` holds (wall-clock bound, for dev-server tests). */
export async function waitForState(
  handle: WorkflowHandle,
  pred: (s: DeployState) => boolean,
  timeoutMs = 30_000,
): Promise<DeployState> {
  const until = Date.now() + timeoutMs;
  let last: DeployState | undefined;
  while (Date.now() < until) {
    last = await handle.query(stateQuery).catch(() => undefined);
    if (last && pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`state condition not met in ${timeoutMs} ms; last state: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

export const countRequests = (sim: SimulatorHandle, method: string, pathRe: RegExp): number =>
  sim.requests().filter((r) => r.method === method && pathRe.test(r.path)).length;

export const CREATE = /^\/lifetimeapi\/rest\/v2\/deployments\/?$/;
export const commandPath = (cmd: string) => new RegExp(`/deployments/[^/]+/${cmd}/?$`);

/**
 * Version of the workflow code that recorded histories come from: v1 polled status with activities, v2 with local
 * activities (patch `status-poll-local-activity`). Older versions' files stay, so both paths keep replaying.
 */
export const HISTORY_VERSION = 2;

/** With RECORD_HISTORIES=1, saves a finished workflow's history as a replay fixture. */
export async function maybeRecordHistory(
  env: TestWorkflowEnvironment,
  workflowId: string,
  scenario: string,
): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const dir = path.resolve(__dirname, '..', 'histories');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${scenario}.v${HISTORY_VERSION}.json`), historyToJSON(history));
}

/** The histories of every run of a workflow, following continue-as-new from its first run. */
export async function runHistories(
  env: TestWorkflowEnvironment,
  workflowId: string,
  firstRunId: string,
): Promise<History[]> {
  const histories: History[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: History = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    histories.push(history);
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return histories;
}

/** The history length of each run of a workflow. */
export async function runLengths(
  env: TestWorkflowEnvironment,
  workflowId: string,
  firstRunId: string,
): Promise<number[]> {
  return (await runHistories(env, workflowId, firstRunId)).map((h) => h.events?.length ?? 0);
}

/**
 * The causes of the workflow tasks that failed or timed out, over every run (`TIMED_OUT` for a timeout), e.g.
 * `UNHANDLED_COMMAND`: the server refused a completion because new signals had arrived (it retries at once).
 */
export async function failedWorkflowTasks(
  env: TestWorkflowEnvironment,
  workflowId: string,
  firstRunId: string,
): Promise<string[]> {
  const { temporal } = await import('@temporalio/proto');
  const { EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;
  const events = (await runHistories(env, workflowId, firstRunId)).flatMap((h) => h.events ?? []);
  return events.flatMap((e) => {
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) return ['TIMED_OUT'];
    if (e.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) return [];
    const cause = WorkflowTaskFailedCause[e.workflowTaskFailedEventAttributes?.cause ?? 0] ?? 'UNKNOWN';
    return [cause.replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, '')];
  });
}
