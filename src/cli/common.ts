/** What every CLI command shares: exit codes, the Temporal client, output helpers. */
import { Client, Connection, type ConnectionOptions, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { SigningError, SshKeygenUnavailableError } from '../signing';
import {
  DEFAULT_TASK_QUEUE,
  stateQuery,
  type DeployResult,
  type DeployState,
  type Outcome,
} from '../workflows/messages';

/** Every exit code of the CLI (the README table is written from this object). */
export const ExitCode = {
  Success: 0,
  Failed: 1,
  InvalidInput: 2,
  Connection: 3,
  Aborted: 4,
  Rejected: 5,
  TimedOut: 6,
  Cancelled: 7,
  NotFound: 8,
  Ignored: 9,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_DOCS: Record<keyof typeof ExitCode, string> = {
  Success: 'deployment succeeded (also with warnings), or the command did what it was asked',
  Failed: 'deployment failed (finished_with_errors, or a LifeTime/infrastructure error)',
  InvalidInput: 'invalid arguments or configuration; nothing was started',
  Connection: 'cannot reach Temporal',
  Aborted: 'the plan was aborted in LifeTime',
  Rejected: 'the deployment was rejected at a gate (the plan was deleted)',
  TimedOut: 'the deployment deadline passed (the plan was deleted or aborted)',
  Cancelled: 'the workflow was cancelled (the plan was deleted or aborted)',
  NotFound: 'no such deployment workflow or schedule',
  Ignored: 'a decision was recorded but ignored (no gate open, not allowed), or the deployment has already ended',
};

function exitCodeForOutcome(outcome: Outcome): ExitCode {
  switch (outcome) {
    case 'succeeded':
    case 'succeeded_with_warnings':
      return ExitCode.Success;
    case 'failed':
      return ExitCode.Failed;
    case 'aborted':
      return ExitCode.Aborted;
    case 'rejected':
      return ExitCode.Rejected;
    case 'timed_out':
      return ExitCode.TimedOut;
    case 'cancelled':
      return ExitCode.Cancelled;
  }
}

/** A result's exit code: its outcome's, except a request the workflow refused (nothing was done). */
export function exitCodeForResult(r: Pick<DeployResult, 'outcome' | 'failure'>): ExitCode {
  return r.failure?.type === 'InvalidRequest' ? ExitCode.InvalidInput : exitCodeForOutcome(r.outcome);
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/**
 * A signing failure as a CLI error: a problem the person can fix (the key, the flag) exits 2, a missing ssh-keygen
 * exits 1; anything else is rethrown as is.
 */
export function signingCliError(err: unknown): never {
  if (err instanceof SigningError) throw new CliError(err.message, ExitCode.InvalidInput);
  if (err instanceof SshKeygenUnavailableError) throw new CliError(err.message, ExitCode.Failed);
  throw err;
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}
export const processIo: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
};

export interface CliContext {
  client: Client;
  namespace: string;
  taskQueue: string;
  uiBase: string;
  close(): Promise<void>;
}

/** Connects to Temporal from the environment (envconfig: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, …). */
export async function connect(env: NodeJS.ProcessEnv = process.env): Promise<CliContext> {
  let cfg;
  try {
    const overrideEnvVars = Object.fromEntries(
      Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined),
    );
    cfg = loadClientConnectConfig({ overrideEnvVars });
  } catch (err) {
    throw new CliError(`Temporal configuration: ${(err as Error).message}`, ExitCode.InvalidInput);
  }
  const address = cfg.connectionOptions.address ?? 'localhost:7233';
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...(cfg.connectionOptions as ConnectionOptions),
      address,
      connectTimeout: '5s',
    });
  } catch (err) {
    throw new CliError(`cannot connect to Temporal at ${address}: ${(err as Error).message}`, ExitCode.Connection);
  }
  const namespace = cfg.namespace ?? 'default';
  return {
    client: new Client({ connection, namespace }),
    namespace,
    taskQueue: env.LIFETIME_DEPLOY_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    uiBase: (env.TEMPORAL_UI_URL || 'http://localhost:8233').replace(/\/$/, ''),
    close: () => connection.close(),
  };
}

export function workflowUrl(ctx: Pick<CliContext, 'uiBase' | 'namespace'>, workflowId: string): string {
  return `${ctx.uiBase}/namespaces/${encodeURIComponent(ctx.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Maps a gRPC "not found" to a CLI error. */
export function isNotFound(err: unknown): boolean {
  return (err as { name?: string })?.name === 'WorkflowNotFoundError';
}

/** How many workers poll the task queue for workflow tasks (0: nobody will run the deployment now). */
export async function workflowPollers(ctx: CliContext): Promise<number> {
  const r = await ctx.client.workflowService.describeTaskQueue({
    namespace: ctx.namespace,
    taskQueue: { name: ctx.taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return r.pollers?.length ?? 0;
}

/** Says so when no worker polls the task queue: the deployment waits until one starts. Returns the poller count. */
export async function warnIfNoWorker(ctx: CliContext, io: Io): Promise<number> {
  const n = await workflowPollers(ctx).catch(() => -1);
  if (n === 0) {
    io.err(
      `⚠ no worker polls task queue "${ctx.taskQueue}" in namespace "${ctx.namespace}": nothing runs until one ` +
        'starts (`npm run worker`, or check LIFETIME_DEPLOY_TASK_QUEUE)',
    );
  }
  return n;
}

/** The `state` query, or undefined when no worker answers within `ms` (a query needs a running worker). */
export async function queryState(ctx: CliContext, handle: WorkflowHandle, ms = 5000): Promise<DeployState | undefined> {
  try {
    return await ctx.client.withDeadline(Date.now() + ms, () => handle.query(stateQuery));
  } catch (err) {
    if (isNotFound(err)) throw err;
    return undefined;
  }
}

/** How a deployment that is no longer running ended (`completed: outcome succeeded`, `terminated`, …), or undefined. */
export async function endedAs(handle: WorkflowHandle): Promise<string | undefined> {
  const desc = await handle.describe();
  if (desc.status.name === 'RUNNING') return undefined;
  if (desc.status.name !== 'COMPLETED') return desc.status.name.toLowerCase();
  const r = (await handle.result()) as DeployResult;
  return `completed: outcome ${r.outcome}${r.lifetimeStatus ? `, LifeTime ${r.lifetimeStatus}` : ''}`;
}
