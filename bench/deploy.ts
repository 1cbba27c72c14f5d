/** Starting deployments the way the starter does, and polling policies given in LifeTime seconds. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startOptions } from '../src/starter';
import { WORKFLOW_TYPE, type DeployRequestInput, type DeployResult } from '../src/workflows/messages';
import { round } from './stats';

/** A polling policy in LifeTime seconds (what a person configures for a real LifeTime). */
export interface PolicyLT {
  name: string;
  first: number;
  min: number;
  max: number;
  backoff: number;
}

/** `policies.polling` of a DeployRequest, in workflow seconds. */
export interface Polling {
  firstPollSeconds: number;
  minIntervalSeconds: number;
  maxIntervalSeconds: number;
  backoff: number;
}

export const ADAPTIVE_DEFAULTS: PolicyLT = { name: 'adaptive (defaults)', first: 2, min: 2, max: 30, backoff: 1.6 };
export const FIXED_20S: PolicyLT = { name: 'fixed 20 s', first: 20, min: 20, max: 20, backoff: 1 };

/** The product's lowest accepted interval (workflow seconds). */
export const MIN_WORKFLOW_SECONDS = 0.05;

/** LifeTime seconds → workflow seconds at simulator speed S (LifeTime ms per wall ms). */
export function toWorkflowPolling(p: PolicyLT, speed: number): Polling {
  const s = (v: number): number => Math.max(MIN_WORKFLOW_SECONDS, round(v / speed, 6));
  return {
    firstPollSeconds: s(p.first),
    minIntervalSeconds: s(p.min),
    maxIntervalSeconds: s(p.max),
    backoff: p.backoff,
  };
}

/**
 * Measured on the Temporal dev server: a workflow timer shorter than 1 s fires after about 1 s (longer ones
 * within a few ms). Time-scaled polling is faithful only while every interval stays ≥ 1 s of workflow time.
 */
export const TIMER_FLOOR_SECONDS = 1;

/** True when, at this speed, some interval falls under the timer floor (the run would stretch it). */
export function distorted(p: PolicyLT, speed: number): boolean {
  return [p.first, p.min, p.max].some((v) => v / speed < TIMER_FLOOR_SECONDS - 1e-9);
}

export function parsePolicy(text: string): PolicyLT {
  const parts = text.split(',').map((x) => Number(x.trim()));
  if (parts.length !== 4 || parts.some((x) => !Number.isFinite(x) || x <= 0))
    throw new Error(`--candidate: expected "first,min,max,backoff" in LifeTime seconds (got ${JSON.stringify(text)})`);
  const [first, min, max, backoff] = parts as [number, number, number, number];
  if (min > max || backoff < 1)
    throw new Error(`--candidate: need min <= max and backoff >= 1 (got ${JSON.stringify(text)})`);
  return { name: `candidate ${first}/${min}/${max}/×${backoff}`, first, min, max, backoff };
}

export function request(
  app: { name: string; versionKey?: string },
  target: string,
  polling: Polling,
  notes: string,
): DeployRequestInput {
  return {
    applications: [{ app: app.name, ...(app.versionKey ? { versionKey: app.versionKey } : {}) }],
    source: 'Development',
    target,
    requestedBy: 'bench',
    notes,
    policies: { polling },
  };
}

/** Starts a deployment with the starter's start options (src/starter.ts). */
export async function startDeployment(
  client: Client,
  taskQueue: string,
  workflowId: string,
  req: DeployRequestInput,
): Promise<WorkflowHandle> {
  return client.workflow.start(WORKFLOW_TYPE, startOptions(req, taskQueue, workflowId));
}

export interface Finished {
  workflowId: string;
  result?: DeployResult;
  error?: string;
}

/** Waits for a result, or gives up (and terminates the workflow) after `timeoutMs`. */
export async function resultWithin(handle: WorkflowHandle, timeoutMs: number): Promise<Finished> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  try {
    const r = await Promise.race([handle.result() as Promise<DeployResult>, timeout]);
    if (r === 'timeout') {
      await handle.terminate('benchmark: no result in time').catch(() => undefined);
      return { workflowId: handle.workflowId, error: `no result within ${Math.round(timeoutMs / 1000)} s` };
    }
    return { workflowId: handle.workflowId, result: r };
  } catch (err) {
    return { workflowId: handle.workflowId, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
