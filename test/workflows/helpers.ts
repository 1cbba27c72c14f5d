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
import { LifeTimeClient } from '../../src/lifetime';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../src/simulator';
import type { deployApplications } from '../../src/workflows';
import { stateQuery, WORKFLOW_TYPE, type DeployRequestInput, type DeployState } from '../../src/workflows/messages';
import { startOptions } from '../../src/starter';
import { createTestWorker, taskQueueForTest } from '../harness';

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
): Promise<Rig> {
  const sim = await startSimulator({ port: 0, speed: 1200, ...simOptions });
  const client = new LifeTimeClient({
    baseUrl: sim.url,
    token: clientToken ?? sim.token,
    timeoutMs: 5000,
    retryLimit: 1,
  });
  const taskQueue = taskQueueForTest();
  const { worker } = await createTestWorker(env, { workflowsPath, activities: createActivities(client), taskQueue });
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

/** The history length of each run of a workflow, following continue-as-new from its first run. */
export async function runLengths(
  env: TestWorkflowEnvironment,
  workflowId: string,
  firstRunId: string,
): Promise<number[]> {
  const lengths: number[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: History = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    lengths.push(events.length);
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return lengths;
}
