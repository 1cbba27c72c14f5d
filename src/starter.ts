/**
 * `lifetime-deploy deploy`: the platform teams' entry point. Validates the request with the workflow's own
 * schema (nothing starts on bad input), starts deployApplications, and with --wait follows it to the end.
 */
import { createHash } from 'node:crypto';
import { Command, Option } from 'commander';
import { userInfo } from 'node:os';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import {
  DeployRequest,
  deploySignatureSubject,
  INTERVENTION_INFOS,
  WORKFLOW_TYPE,
  searchAttributes as sa,
  type DeployRequestInput,
  type DeployResult,
} from './workflows/messages';
import { describeIssues, quoteValue } from './workflows/describe-issues';
import { summaryLine } from './workflows/presentation';
import {
  CliError,
  ExitCode,
  exitCodeForResult,
  signingCliError,
  warnIfNoWorker,
  workflowUrl,
  type CliContext,
  type Io,
} from './cli/common';
import { follow } from './cli/follow';
import { checkKeyFile, signRequest, type SigningKey } from './signing';
import { Principal, type SignedRequest } from './workflows/signed-decision';
import { validateNotBefore, validateWindow } from './windows/compute';
import type { deployApplications } from './workflows';

export interface DeployFlags extends PolicyFlags {
  app?: string[];
  versionKey?: string[];
  zone?: string[];
  from?: string;
  to?: string;
  /** A plan built in LifeTime (its deployment key), instead of --app/--version-key/--zone/--from/--to. */
  plan?: string;
  /** A running operator-built plan on cancel or the deadline: abort (default) or leave. */
  operatorPlanOnStop?: string;
  notes?: string;
  requestedBy?: string;
  redeployOutdated?: boolean;
  /** A recurring deployment window (src/windows/spec.ts). */
  window?: string;
  /** A one-off: no start before this ISO-8601 instant. */
  notBefore?: string;
  id?: string;
  wait?: boolean;
  json?: boolean;
  /** The requester's SSH key: the request is signed, and `requestedBy` becomes a proven principal. */
  signWith?: string;
}

/** The deployment policy flags. */
export interface PolicyFlags {
  onConflict?: string;
  onBusy?: string;
  busyWaitMinutes?: string;
  onIntervention?: string[];
  gateTimeoutMinutes?: string;
  onGateTimeout?: string;
  deadlineMinutes?: string;
  approver?: string[];
  allowSelfApproval?: boolean;
  signatures?: string;
  pollMin?: string;
  pollMax?: string;
}

/** Schema path → the flag a person typed, so errors name the flag. */
export const FLAG_FOR: Record<string, string> = {
  applications: '--app',
  source: '--from',
  target: '--to',
  notes: '--notes',
  requestedBy: '--requested-by',
  window: '--window',
  notBefore: '--not-before',
  'policies.conflicts': '--on-conflict',
  'policies.busyTarget.action': '--on-busy',
  'policies.busyTarget.maxWaitMinutes': '--busy-wait-minutes',
  'policies.gate.timeoutMinutes': '--gate-timeout-minutes',
  'policies.gate.onTimeout': '--on-gate-timeout',
  'policies.deadlineMinutes': '--deadline-minutes',
  'policies.approvers': '--approver',
  'policies.signatures': '--signatures',
  'policies.polling.minIntervalSeconds': '--poll-min',
  'policies.polling.maxIntervalSeconds': '--poll-max',
  'policies.polling.firstPollSeconds': '--poll-min',
  'policies.polling': '--poll-min/--poll-max',
  'policies.intervention': '--on-intervention',
  'policies.operatorPlanOnStop': '--operator-plan-on-stop',
  planKey: '--plan',
};

/** The OS account running the CLI (containers and CI runners often have no $USER); '' when there is none. */
function osAccount(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/** A decimal number flag (`12`, `0.5`); empty, hex, exponent and other forms are refused, naming the flag. */
function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]+(\.[0-9]+)?$/.test(v.trim()))
    throw new CliError(
      `${flag}: expected a decimal number such as 30 or 0.5, got ${quoteValue(v)}`,
      ExitCode.InvalidInput,
    );
  return Number(v.trim());
}

/** The deployment policy flags (deploy, promote and rollback share them) → `policies` of the request. */
export function buildPolicies(f: PolicyFlags): Record<string, unknown> {
  const intervention: Record<string, string> = {};
  for (const pair of f.onIntervention ?? []) {
    const [info, action] = pair.split('=');
    if (!info || !action || !(INTERVENTION_INFOS as readonly string[]).includes(info)) {
      throw new CliError(
        `--on-intervention: expected <info>=<gate|continue|abort|window> with info one of ${INTERVENTION_INFOS.join(', ')}; got ${JSON.stringify(pair)}`,
        ExitCode.InvalidInput,
      );
    }
    intervention[info] = action;
  }
  const polling =
    f.pollMin !== undefined || f.pollMax !== undefined
      ? {
          ...(f.pollMin !== undefined
            ? { minIntervalSeconds: num('--poll-min', f.pollMin), firstPollSeconds: num('--poll-min', f.pollMin) }
            : {}),
          ...(f.pollMax !== undefined ? { maxIntervalSeconds: num('--poll-max', f.pollMax) } : {}),
        }
      : undefined;
  return {
    ...(f.onConflict ? { conflicts: f.onConflict } : {}),
    ...(f.onBusy || f.busyWaitMinutes !== undefined
      ? {
          busyTarget: {
            ...(f.onBusy ? { action: f.onBusy } : {}),
            ...(f.busyWaitMinutes !== undefined
              ? { maxWaitMinutes: num('--busy-wait-minutes', f.busyWaitMinutes) }
              : {}),
          },
        }
      : {}),
    ...(Object.keys(intervention).length ? { intervention } : {}),
    ...(f.gateTimeoutMinutes !== undefined || f.onGateTimeout
      ? {
          gate: {
            ...(f.gateTimeoutMinutes !== undefined
              ? { timeoutMinutes: num('--gate-timeout-minutes', f.gateTimeoutMinutes) }
              : {}),
            ...(f.onGateTimeout ? { onTimeout: f.onGateTimeout } : {}),
          },
        }
      : {}),
    ...(f.deadlineMinutes !== undefined ? { deadlineMinutes: num('--deadline-minutes', f.deadlineMinutes) } : {}),
    ...(f.approver?.length ? { approvers: f.approver } : {}),
    ...(f.allowSelfApproval ? { allowSelfApproval: true } : {}),
    ...(f.signatures ? { signatures: f.signatures } : {}),
    ...(polling ? { polling } : {}),
  };
}

/** Who asks: --requested-by, else $LIFETIME_DEPLOY_USER, $USER, the OS account. */
export const requester = (f: { requestedBy?: string }, env: NodeJS.ProcessEnv): string =>
  f.requestedBy ?? (env.LIFETIME_DEPLOY_USER || env.USER || osAccount());

/** Flags → the workflow input, validated by the workflow's own schema. Throws CliError(InvalidInput). */
export function buildRequest(f: DeployFlags, env: NodeJS.ProcessEnv = process.env): DeployRequestInput {
  const keys = f.versionKey ?? [];
  const zones = f.zone ?? [];
  const appFlags = f.app ?? [];
  checkPlanFlags(f);
  const apps = [...appFlags.map((app) => ({ app })), ...keys.map((versionKey) => ({ versionKey }))].map((a, i) =>
    zones[i] !== undefined ? { ...a, deploymentZoneKey: zones[i] } : a,
  );
  const policies = buildPolicies(f);
  if (f.operatorPlanOnStop !== undefined) policies.operatorPlanOnStop = f.operatorPlanOnStop;
  const raw = {
    applications: apps,
    ...(f.from !== undefined ? { source: f.from } : {}),
    ...(f.to !== undefined ? { target: f.to } : {}),
    ...(f.plan !== undefined ? { planKey: f.plan } : {}),
    notes: f.notes ?? '',
    redeployOutdated: f.redeployOutdated ?? false,
    requestedBy: requester(f, env),
    policies,
    ...(f.window !== undefined ? { window: f.window } : {}),
    ...(f.notBefore !== undefined ? { notBefore: f.notBefore } : {}),
  };
  const parsed = DeployRequest.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => describeIssues([issue], raw, (path) => flagFor(path)));
    throw new CliError(`invalid deployment request:\n  ${lines.join('\n  ')}`, ExitCode.InvalidInput);
  }
  checkWindow(raw);
  return raw as DeployRequestInput;
}

/**
 * --plan excludes the flags that say what to deploy and where (the plan says it); without --plan, --from and --to
 * are required (with commander's wording).
 */
function checkPlanFlags(f: DeployFlags): void {
  if (f.plan === undefined) {
    for (const [flag, v] of [
      ['--from <env>', f.from],
      ['--to <env>', f.to],
    ] as const)
      if (v === undefined)
        throw new CliError(
          `required option '${flag}' not specified (or give --plan <deployment key>)`,
          ExitCode.InvalidInput,
        );
    if (f.operatorPlanOnStop !== undefined)
      throw new CliError('--operator-plan-on-stop: only with --plan <deployment key>', ExitCode.InvalidInput);
    return;
  }
  const given = [
    ...(f.app ?? []).map((v) => `--app ${quoteValue(v)}`),
    ...(f.versionKey ?? []).map((v) => `--version-key ${quoteValue(v)}`),
    ...(f.zone ?? []).map((v) => `--zone ${quoteValue(v)}`),
    ...(f.from !== undefined ? [`--from ${quoteValue(f.from)}`] : []),
    ...(f.to !== undefined ? [`--to ${quoteValue(f.to)}`] : []),
  ];
  if (given.length)
    throw new CliError(
      `--plan: the plan names its applications, source and target; --plan cannot be combined with --app, ` +
        `--version-key, --zone, --from or --to (got ${given.join(', ')})`,
      ExitCode.InvalidInput,
    );
}

/**
 * The deployment window's checks beyond its syntax (the workflow schema's): a known IANA time zone, a cron expression
 * that parses, a real calendar date. Throws CliError(InvalidInput) naming the flag and the value.
 */
export function checkWindow(req: { window?: string; notBefore?: string }): void {
  const problems: string[] = [];
  const w = req.window !== undefined ? validateWindow(req.window) : undefined;
  if (w && !w.ok) problems.push(`--window: ${w.error} (got ${quoteValue(req.window)})`);
  const n = req.notBefore !== undefined ? validateNotBefore(req.notBefore) : undefined;
  if (n && !n.ok) problems.push(`--not-before: ${n.error} (got ${quoteValue(req.notBefore)})`);
  if (problems.length)
    throw new CliError(`invalid deployment request:\n  ${problems.join('\n  ')}`, ExitCode.InvalidInput);
}

/** The flag a person typed for a schema path (the longest known prefix), else the path itself. */
export function flagFor(path: readonly PropertyKey[], flags: Record<string, string> = FLAG_FOR): string {
  const p = path.map(String).join('.');
  const key = Object.keys(flags)
    .filter((k) => p === k || p.startsWith(`${k}.`))
    .sort((a, b) => b.length - a.length)[0];
  return key ? flags[key]! : p;
}

/**
 * The one way a deployment is started (the CLI, the demo, the benchmark and the tests use it): a static summary and
 * details for the Temporal UI, and the initial search attributes (when the namespace has them) with what was asked,
 * so a deployment that fails before resolving still shows its applications and environments. A second start with
 * the same ID fails (`startOrAttach` attaches to it).
 */
export function startOptions(
  request: DeployRequestInput,
  taskQueue: string,
  workflowId: string,
): WorkflowStartOptions<typeof deployApplications> {
  const parsed = DeployRequest.parse(request);
  return {
    taskQueue,
    workflowId,
    args: [request],
    workflowIdConflictPolicy: 'FAIL',
    staticSummary: summaryLine(parsed),
    staticDetails:
      `Requested by ${parsed.requestedBy}${parsed.notes ? `. Notes: ${parsed.notes}` : ''}` +
      `${parsed.window ? `. Window: ${parsed.window}` : ''}${parsed.notBefore ? `. Not before: ${parsed.notBefore}` : ''}`,
    ...(parsed.searchAttributes
      ? {
          typedSearchAttributes: [
            { key: sa.requestedBy, value: parsed.requestedBy },
            { key: sa.status, value: 'none' },
            { key: sa.gate, value: 'none' },
            ...(parsed.applications.length
              ? [{ key: sa.applications, value: parsed.applications.map((a) => a.app ?? a.versionKey ?? '?') }]
              : []),
            ...(parsed.source !== undefined ? [{ key: sa.source, value: parsed.source }] : []),
            ...(parsed.target !== undefined ? [{ key: sa.target, value: parsed.target }] : []),
            ...(parsed.planKey !== undefined ? [{ key: sa.deploymentKey, value: parsed.planKey }] : []),
          ],
        }
      : {}),
  };
}

/**
 * Starts a workflow (a deployment or a release), or attaches to the running one with the same workflow ID: the
 * server's answer (already started) tells which, whatever the load.
 */
export async function startOrAttachWorkflow<W extends Workflow>(
  client: Client,
  workflowType: string,
  options: WorkflowStartOptions<W>,
): Promise<{ handle: WorkflowHandle<W>; existing: boolean }> {
  try {
    return { handle: await client.workflow.start<W>(workflowType, options), existing: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { handle: client.workflow.getHandle<W>(options.workflowId), existing: true };
  }
}

/** Starts a deployment, or attaches to the running one with the same workflow ID. */
export const startOrAttach = (client: Client, request: DeployRequestInput, taskQueue: string, workflowId: string) =>
  startOrAttachWorkflow<typeof deployApplications>(client, WORKFLOW_TYPE, startOptions(request, taskQueue, workflowId));

/** A stable ID for a request: repeating the same request attaches to the running deployment. */
export function defaultWorkflowId(req: DeployRequestInput): string {
  if (req.planKey) return `deploy-plan-${req.planKey.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`;
  const apps = req.applications.map((a) => a.app ?? a.versionKey ?? '').sort();
  const digest = createHash('sha256')
    .update(JSON.stringify({ apps, source: req.source, target: req.target, notes: req.notes ?? '' }))
    .digest('hex')
    .slice(0, 10);
  const slug = `${apps.join('-')}-${req.source}-to-${req.target}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 60);
  return `deploy-${slug}-${digest}`;
}

/** How long a request's signature is valid: the workflow verifies it when it starts, seconds later. */
export const REQUEST_SIGNATURE_MINUTES = 30;

/**
 * `--sign-with` checked before anything connects: the key file exists and the requester is one principal (the
 * name the allowed-approvers file lists). Throws CliError(InvalidInput) naming the flag.
 */
export function checkRequestSigning(f: Pick<DeployFlags, 'signWith' | 'plan'>, requestedBy: string): void {
  if (f.signWith === undefined) return;
  const invalid = (m: string) => new CliError(m, ExitCode.InvalidInput);
  if (f.plan !== undefined)
    throw invalid(
      '--sign-with: a request that takes over a plan (--plan) cannot be signed; sign the decisions instead',
    );
  if (!f.signWith.trim()) throw invalid('--sign-with: expected the path of an SSH key file, got ""');
  const p = Principal.safeParse(requestedBy);
  if (!p.success)
    throw invalid(
      `--requested-by ${quoteValue(requestedBy)}: a signed request's requester is its principal in the allowed approvers file: ${p.error.issues[0]!.message}`,
    );
  try {
    checkKeyFile({ path: f.signWith, from: '--sign-with' });
  } catch (err) {
    signingCliError(err);
  }
}

/**
 * `request` with `signedRequest`, made by `sign` with the `--sign-with` key; a signing failure is a CLI error naming
 * the flag (the one path for deploy's and promote's signed requests).
 */
export async function withRequestSignature<R extends object>(
  request: R,
  keyPath: string,
  env: NodeJS.ProcessEnv,
  sign: (key: SigningKey, opts: { env: NodeJS.ProcessEnv }) => Promise<SignedRequest>,
): Promise<R & { signedRequest: SignedRequest }> {
  try {
    return { ...request, signedRequest: await sign({ path: keyPath, from: '--sign-with' }, { env }) };
  } catch (err) {
    return signingCliError(err);
  }
}

/**
 * The request with the requester's signature over it (workflow ID, requester, source, target, applications, terms).
 */
export async function signDeployRequest(
  request: DeployRequestInput,
  workflowId: string,
  keyPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DeployRequestInput> {
  if (request.source === undefined || request.target === undefined)
    throw new CliError('--sign-with: only a request with --from and --to can be signed', ExitCode.InvalidInput);
  const subject = deploySignatureSubject(DeployRequest.parse(request));
  return withRequestSignature(request, keyPath, env, (key, opts) =>
    signRequest({ workflowId, ...subject, expiresInMinutes: REQUEST_SIGNATURE_MINUTES }, key, opts),
  );
}

export async function deploy(
  ctx: CliContext,
  flags: DeployFlags,
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExitCode> {
  const built = buildRequest(flags, env);
  checkRequestSigning(flags, built.requestedBy);
  const workflowId = flags.id ?? defaultWorkflowId(built);
  const request = flags.signWith ? await signDeployRequest(built, workflowId, flags.signWith, env) : built;
  const { existing } = await startOrAttach(ctx.client, request, ctx.taskQueue, workflowId);
  return announceAndFollow(
    ctx,
    io,
    { workflowId, existing, json: flags.json, wait: flags.wait, what: 'deployment' },
    () => follow(ctx, workflowId, io, { json: !!flags.json }),
  );
}

/**
 * After a start: the ID and the UI link (or the JSON line), then with --wait the follow to the end and the
 * outcome's exit code. A workflow ended from outside (terminated) exits 1; deployments and releases themselves
 * end with a result, failures included.
 */
export async function announceAndFollow(
  ctx: CliContext,
  io: Io,
  o: { workflowId: string; existing: boolean; json?: boolean; wait?: boolean; what: string },
  followIt: () => Promise<Pick<DeployResult, 'outcome' | 'failure'>>,
): Promise<ExitCode> {
  const { workflowId, existing } = o;
  const url = workflowUrl(ctx, workflowId);
  if (o.json && !o.wait) {
    io.out(JSON.stringify({ workflowId, url, existing }));
    return ExitCode.Success;
  }
  io.err(
    `${existing ? `already running (same ${o.what === 'deployment' ? 'request' : 'ID'}): ` : 'started '}${workflowId}`,
  );
  io.err(`Temporal UI: ${url}`);
  if (!o.wait) {
    await warnIfNoWorker(ctx, io); // with --wait, following says so when nothing answers
    io.out(workflowId);
    return ExitCode.Success;
  }
  try {
    return exitCodeForResult(await followIt());
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const message = err.cause?.message ?? err.message;
      if (o.json) io.out(JSON.stringify({ workflowId, outcome: 'failed', error: message }));
      else io.err(`${o.what} failed: ${message}`);
      return ExitCode.Failed;
    }
    throw err;
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The deployment policy options (deploy, promote and rollback share them). */
export function addPolicyOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--on-conflict <policy>', 'when the plan has conflicts').choices(['gate', 'reject']))
    .addOption(new Option('--on-busy <policy>', 'when the target runs another plan').choices(['wait', 'fail']))
    .option('--busy-wait-minutes <n>', 'how long to wait for a busy target')
    .option(
      '--on-intervention <info=action>',
      `per Info (${INTERVENTION_INFOS.join(', ')}): gate, continue or abort; deployment_prepared=window: continue when --window opens (repeatable)`,
      collect,
    )
    .option('--gate-timeout-minutes <n>', 'how long a gate waits for a decision')
    .addOption(
      new Option('--on-gate-timeout <action>', 'what a gate does at its deadline').choices(['reject', 'approve']),
    )
    .option('--deadline-minutes <n>', 'overall deadline; past it the plan is deleted or aborted')
    .option('--approver <name>', 'who may decide at gates (repeatable; default: anyone)', collect)
    .option('--allow-self-approval', 'let the requester approve their own gates')
    .addOption(
      new Option(
        '--signatures <mode>',
        'signed decisions: auto (required when the worker has an allowed-approvers file and --approver is given), required, or break-glass-unsigned',
      ).choices(['auto', 'required', 'break-glass-unsigned']),
    )
    .option('--poll-min <seconds>', 'shortest status poll interval')
    .option('--poll-max <seconds>', 'longest status poll interval');
}

export const deployCommand = (run: (fn: (ctx: CliContext) => Promise<ExitCode>) => Promise<void>, io: Io) =>
  addPolicyOptions(new Command('deploy'))
    .description('Deploy applications from one LifeTime environment to another')
    .option('--app <name|key>', 'application name or key in the source (repeatable)', collect, [])
    .option('--version-key <key>', 'an application version key to deploy as is (repeatable)', collect)
    .option('--zone <key>', 'deployment zone key for the app at the same position (repeatable)', collect)
    .option('--from <env>', 'source environment name or key (required unless --plan)')
    .option('--to <env>', 'target environment name or key (required unless --plan)')
    .option(
      '--plan <deployment key>',
      'take over a saved plan built in LifeTime (instead of --app/--version-key/--zone/--from/--to); it is never deleted',
    )
    .addOption(
      new Option(
        '--operator-plan-on-stop <action>',
        'with --plan: what cancel or the deadline does to the plan once running (default abort)',
      ).choices(['abort', 'leave']),
    )
    .option('--notes <text>', 'notes for the deployment plan')
    .option(
      '--requested-by <name>',
      'who asks for this deployment (default: $LIFETIME_DEPLOY_USER, $USER, or the OS account)',
    )
    .option('--redeploy-outdated', 'also redeploy consumer apps this plan makes outdated')
    .option(
      '--sign-with <key>',
      'sign the request with this SSH key (a private key file, or a public key held by ssh-agent): the requester becomes a verified principal for the self-approval check',
    )
    .option(
      '--window <spec>',
      'deployment window: steps 1-4 run now, start waits for it. "Sat 22:00-Sun 02:00 Europe/Lisbon" (weekly), ' +
        '"22:00-02:00 UTC" (daily) or "cron:0 22 * * 6 for 4h Europe/Lisbon"',
    )
    .option('--not-before <instant>', 'one-off: start no earlier than this ISO-8601 instant (e.g. 2026-12-12T22:00Z)')
    .option('--id <workflowId>', 'workflow ID (default: derived from the request, so a repeat attaches to it)')
    .option('--wait', 'follow the deployment and exit with its outcome')
    .option('--json', 'machine-readable output on stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ lifetime-deploy deploy --app EmployeeBackoffice --from Development --to Production --wait
  $ lifetime-deploy deploy --app HRCore --app PayrollPortal --from Development --to Quality --on-conflict reject
  $ lifetime-deploy deploy --app EmployeeBackoffice --from Development --to Production \\
      --approver alice --approver bob --on-intervention deployment_prepared=continue --json
  $ lifetime-deploy deploy --plan 3f1c7a52-9d7e-4b8e-a0c4-2f6e8f1d9b10 --wait
  $ lifetime-deploy deploy --app EmployeeBackoffice --from Development --to Production \\
      --window "Sat 22:00-Sun 02:00 Europe/Lisbon" --on-intervention deployment_prepared=window`,
    )
    .action(async (opts: DeployFlags) => {
      checkRequestSigning(opts, buildRequest(opts).requestedBy); // validate before connecting: bad input never reaches Temporal
      await run((ctx) => deploy(ctx, opts, io));
    });
