/** Operator commands: approve, reject, status, list, cancel. Each one: parse, call a plain function, print. */
import { Command } from 'commander';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { RELEASE_WORKFLOW_TYPE, type ReleaseResult, type ReleaseState } from '../workflows/release-messages';
import { followRelease, releaseResultLines, stageLines } from './release';
import { z } from 'zod';
import {
  approveSignal,
  approveUpdate,
  DecisionPayload,
  rejectSignal,
  rejectUpdate,
  searchAttributes as sa,
  WORKFLOW_TYPE,
  type DeployResult,
} from '../workflows/messages';
import { describeIssues, quoteValue } from '../workflows/describe-issues';
import { Principal, SIGNING_LIMITS, type SignedDecisionPayload } from '../workflows/signed-decision';
import { checkKeyFile, SigningError, signDecision, type SigningKey } from '../signing';
import {
  CliError,
  endedAs,
  ExitCode,
  exitCodeForResult,
  isNotFound,
  queryState,
  signingCliError,
  warnIfNoWorker,
  workflowUrl,
  type CliContext,
  type Io,
} from './common';
import { follow, gateInstructions, resultLines } from './follow';
import { windowLines } from '../windows/text';

type Run = (fn: (ctx: CliContext) => Promise<ExitCode>) => Promise<void>;

/** The workflow has no handler for the Update (an execution from an older version of the code). */
const isUnsupportedUpdate = (err: unknown): boolean =>
  err instanceof Error &&
  /unknown update|update handler|not registered/i.test(
    `${err.message} ${String((err as { cause?: Error }).cause?.message ?? '')}`,
  );

/** `--map <extension>:<logical database>=<connection>` → a mapping; anything else names the flag. */
export function parseMapping(v: string): { extension: string; logicalDatabase: string; connection: string } {
  const m = /^([^:=]+):([^:=]+)=(.+)$/.exec(v.trim());
  if (!m)
    throw new CliError(
      `--map: expected <extension>:<logical database>=<connection>, got ${JSON.stringify(v)}`,
      ExitCode.InvalidInput,
    );
  return { extension: m[1]!.trim(), logicalDatabase: m[2]!.trim(), connection: m[3]!.trim() };
}

interface DecisionFlags {
  by: string;
  reason?: string;
  map?: string[];
  signWith?: string;
  expiresIn?: string;
  printPayload?: boolean;
  json?: boolean;
}

function parseDecision(opts: unknown): DecisionPayload {
  const r = DecisionPayload.safeParse(opts);
  if (!r.success)
    throw new CliError(
      `invalid decision: ${describeIssues(r.error.issues, opts, (path) => `--${String(path[0] ?? 'by')}`)}`,
      ExitCode.InvalidInput,
    );
  return r.data;
}

/** How to sign a decision (from --sign-with / LIFETIME_DEPLOY_SIGNING_KEY, --expires-in, --print-payload). */
export interface SignFlags {
  key: SigningKey;
  expiresInMinutes: number;
  /** Print the signed payload and send nothing. */
  printPayload: boolean;
}

/** The default validity of a signed decision, in minutes. */
export const DEFAULT_EXPIRES_IN_MINUTES = 30;

/**
 * The signing flags, checked before anything connects: the key file exists, the principal is one identity, the
 * validity is 1 to 1440 minutes. Undefined when the decision is not signed.
 */
export function parseSigning(
  o: { signWith?: string; expiresIn?: string; printPayload?: boolean },
  by: string,
  env: NodeJS.ProcessEnv,
): SignFlags | undefined {
  const invalid = (message: string) => new CliError(message, ExitCode.InvalidInput);
  const fromEnv = env.LIFETIME_DEPLOY_SIGNING_KEY || undefined;
  const key: SigningKey | undefined =
    o.signWith !== undefined
      ? { path: o.signWith, from: '--sign-with' }
      : fromEnv !== undefined
        ? { path: fromEnv, from: 'LIFETIME_DEPLOY_SIGNING_KEY' }
        : undefined;
  if (!key) {
    const needsKey = o.printPayload ? '--print-payload' : o.expiresIn !== undefined ? '--expires-in' : undefined;
    if (needsKey)
      throw invalid(
        `${needsKey}: only for a signed decision: add --sign-with <key> (or set LIFETIME_DEPLOY_SIGNING_KEY)`,
      );
    return undefined;
  }
  if (!key.path.trim()) throw invalid(`${key.from}: expected the path of an SSH key file, got ""`);
  const max = SIGNING_LIMITS.maxValidityMinutes;
  const raw = o.expiresIn ?? String(DEFAULT_EXPIRES_IN_MINUTES);
  const minutes = /^[0-9]+(\.[0-9]+)?$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(minutes >= 1 && minutes <= max))
    throw invalid(`--expires-in: expected minutes from 1 to ${max} (a decimal number), got ${quoteValue(raw)}`);
  const principal = Principal.safeParse(by);
  if (!principal.success)
    throw invalid(
      `--by ${quoteValue(by)}: a signed decision's --by is its principal in the allowed approvers file: ${principal.error.issues[0]!.message}`,
    );
  try {
    checkKeyFile(key);
  } catch (err) {
    if (err instanceof SigningError) throw invalid(err.message);
    throw err;
  }
  return { key, expiresInMinutes: minutes, printPayload: o.printPayload ?? false };
}

/** Signs the decision for the gate the `state` query shows open; a signing problem names the flag and the key. */
async function signForGate(
  workflowId: string,
  kind: 'approve' | 'reject',
  payload: DecisionPayload,
  gate: { id: number; kind: string; runId: string },
  sign: SignFlags,
  env: NodeJS.ProcessEnv,
): Promise<SignedDecisionPayload> {
  try {
    const signed = await signDecision(
      {
        workflowId,
        runId: gate.runId,
        gateId: gate.id,
        gateKind: gate.kind,
        decision: kind,
        principal: payload.by,
        reason: payload.reason,
        expiresInMinutes: sign.expiresInMinutes,
      },
      sign.key,
      { env },
    );
    return { ...payload, signed };
  } catch (err) {
    return signingCliError(err);
  }
}

/** Sends approve/reject, then confirms through the `state` query whether it was applied or why it was ignored. */
export async function decide(
  ctx: CliContext,
  kind: 'approve' | 'reject',
  workflowId: string,
  payload: DecisionPayload,
  io: Io,
  json = false,
  sign?: SignFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExitCode> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  const ended = await endedAs(handle).catch((err: unknown) => {
    if (isNotFound(err)) throw new CliError(`no deployment ${workflowId}`, ExitCode.NotFound);
    throw err;
  });
  if (ended) {
    const msg = `${workflowId} has ended (${ended}): there is no gate to ${kind}`;
    if (json) io.out(JSON.stringify({ workflowId, decision: kind, by: payload.by, applied: false, ended }));
    else io.out(msg);
    return ExitCode.Ignored;
  }
  const before = await queryState(ctx, handle);
  if (sign) {
    // A signed decision is for one gate: the one the state shows open now.
    if (!before) {
      await warnIfNoWorker(ctx, io);
      throw new CliError(
        `no worker answered the state query of ${workflowId}, so the open gate to sign for is unknown; nothing was sent`,
        ExitCode.Failed,
      );
    }
    if (!before.gate) {
      if (json) io.out(JSON.stringify({ workflowId, decision: kind, by: payload.by, applied: false, gate: null }));
      else io.out(`${workflowId} has no gate open: nothing to sign the ${kind} for, and nothing was sent`);
      return ExitCode.Ignored;
    }
    // The run the signature is bound to: the gate names it (a gate opened by an older worker does not: ask Temporal).
    const runId = before.gate.runId ?? (await handle.describe()).raw.workflowExecutionInfo?.firstRunId ?? undefined;
    if (!runId)
      throw new CliError(
        `${workflowId}: its first run ID is unknown, so nothing can be signed for it`,
        ExitCode.Failed,
      );
    payload = await signForGate(workflowId, kind, payload, { ...before.gate, runId }, sign, env);
    if (sign.printPayload) {
      io.out(JSON.stringify(payload));
      return ExitCode.Success;
    }
  }
  if (!before) {
    // No worker answers queries right now (e.g. all workers down): the signal is still stored durably.
    await warnIfNoWorker(ctx, io);
    await handle.signal(kind === 'approve' ? approveSignal : rejectSignal, payload);
    const msg = `${kind} by ${payload.by} sent to ${workflowId}; no worker answered to confirm it, it will be applied (or ignored) when a worker runs`;
    if (json) io.out(JSON.stringify({ workflowId, decision: kind, by: payload.by, sent: true, confirmed: false }));
    else io.out(msg);
    return ExitCode.Success;
  }
  // A worker answers: the decision goes as a Workflow Update, answered at once (refusals leave no history).
  try {
    const d = await handle.executeUpdate(kind === 'approve' ? approveUpdate : rejectUpdate, { args: [payload] });
    if (json) io.out(JSON.stringify({ workflowId, ...d }));
    else if (d.applied) io.out(`${kind} by ${d.by} applied to the ${d.gate} gate of ${workflowId}`);
    else io.out(`${kind} by ${d.by} recorded but not applied: ${d.ignored}`);
    return d.applied ? ExitCode.Success : ExitCode.Ignored;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const why = err.cause?.message ?? err.message;
      if (json) io.out(JSON.stringify({ workflowId, decision: kind, by: payload.by, applied: false, refused: why }));
      else io.out(`${kind} by ${payload.by} refused: ${why}`);
      return ExitCode.Ignored;
    }
    if (!isUnsupportedUpdate(err)) throw err;
  }
  // A workflow that does not take the Update (started before it existed): the signal, confirmed by the query.
  const count = before.decisions.length;
  await handle.signal(kind === 'approve' ? approveSignal : rejectSignal, payload);
  for (let i = 0; i < 100; i++) {
    const s = await queryState(ctx, handle);
    const mine = s?.decisions.slice(count).find((d) => d.by === payload.by && d.decision === kind);
    if (mine) {
      if (json) io.out(JSON.stringify({ workflowId, ...mine }));
      else if (mine.applied) io.out(`${kind} by ${mine.by} applied to the ${mine.gate} gate of ${workflowId}`);
      else io.out(`${kind} by ${mine.by} recorded but ignored: ${mine.ignored}`);
      return mine.applied ? ExitCode.Success : ExitCode.Ignored;
    }
    if ((s?.ignoredNotKept ?? 0) > (before.ignoredNotKept ?? 0) && !s?.decisions.slice(count).some((d) => d.applied)) {
      // Past the number of ignored decisions a deployment keeps, they are only counted (a flood of signals).
      if (json) io.out(JSON.stringify({ workflowId, decision: kind, by: payload.by, applied: false, kept: false }));
      else io.out(`${kind} by ${payload.by} recorded but ignored (too many ignored decisions to keep each one)`);
      return ExitCode.Ignored;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new CliError(`sent ${kind} to ${workflowId}, but could not confirm it (is a worker running?)`, ExitCode.Failed);
}

export async function status(
  ctx: CliContext,
  workflowId: string,
  io: Io,
  opts: { follow?: boolean; json?: boolean },
): Promise<ExitCode> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  try {
    const desc = await handle.describe();
    if (desc.type === RELEASE_WORKFLOW_TYPE) return await releaseStatus(ctx, handle, desc.status.name, io, opts);
    if (opts.follow && desc.status.name === 'RUNNING') {
      const r = await follow(ctx, workflowId, io, { json: opts.json });
      return exitCodeForResult(r);
    }
    if (desc.status.name === 'COMPLETED') {
      const r = (await handle.result()) as DeployResult;
      if (opts.json) io.out(JSON.stringify({ workflowId, status: desc.status.name, ...r }));
      else for (const l of [`${workflowId}: completed`, ...resultLines(r)]) io.out(l);
      return exitCodeForResult(r);
    }
    const s = desc.status.name === 'RUNNING' ? await queryState(ctx, handle) : undefined;
    if (desc.status.name === 'RUNNING' && !s) await warnIfNoWorker(ctx, io);
    if (opts.json) {
      io.out(JSON.stringify({ workflowId, status: desc.status.name, state: s }));
    } else {
      io.out(`${workflowId}: ${desc.status.name.toLowerCase()}  (${workflowUrl(ctx, workflowId)})`);
      if (!s && desc.status.name === 'RUNNING') {
        // No worker answered: what the server knows without one (the search attributes).
        const get = (k: { name: string }) =>
          (desc.searchAttributes?.[k.name] as unknown[] | undefined)?.join(', ') ?? '-';
        io.out(
          `(no worker answered the state query; from the search attributes) applications: ${get(sa.applications)}; ` +
            `${get(sa.source)} → ${get(sa.target)}; plan: ${get(sa.deploymentKey)}; LifeTime: ${get(sa.status)}; ` +
            `gate: ${get(sa.gate)}`,
        );
      }
      if (s) {
        io.out(
          `step: ${s.step}; plan: ${s.deploymentKey ?? '-'}; LifeTime: ${s.lifetimeStatus ?? '-'}${s.info ? ` / ${s.info}` : ''}; polls: ${s.polls}`,
        );
        if (s.detailsUrl) io.out(`in LifeTime: ${s.detailsUrl}`);
        if (s.planOwned === false) io.out('plan built in LifeTime (not by this deployment): never deleted by it');
        if (s.targetUnavailable) io.out(`waiting: ${s.targetUnavailable.reason} (since ${s.targetUnavailable.since})`);
        if (s.window && !s.outcome)
          for (const l of windowLines(s.window, Date.now(), s.step === 'wait-for-window')) io.out(l);
        for (const l of s.log.slice(-5)) io.out(`  │ ${l.message}`);
        for (const l of gateInstructions(workflowId, s)) io.out(l);
      }
    }
    return ExitCode.Success;
  } catch (err) {
    if (isNotFound(err)) throw new CliError(`no deployment ${workflowId}`, ExitCode.NotFound);
    if (err instanceof WorkflowFailedError) {
      io.out(`${workflowId}: failed: ${err.cause?.message ?? err.message}`);
      return ExitCode.Failed;
    }
    throw err;
  }
}

/** A release's status: its stage table and open promotion gate (with --follow: stage by stage to its end). */
async function releaseStatus(
  ctx: CliContext,
  handle: WorkflowHandle,
  status: string,
  io: Io,
  opts: { follow?: boolean; json?: boolean },
): Promise<ExitCode> {
  const id = handle.workflowId;
  if (opts.follow && status === 'RUNNING') return exitCodeForResult(await followRelease(ctx, id, io, opts));
  if (status === 'COMPLETED') {
    const r = (await handle.result()) as ReleaseResult;
    if (opts.json) io.out(JSON.stringify({ workflowId: id, status, ...r }));
    else for (const l of [`${id}: completed`, ...releaseResultLines(r)]) io.out(l);
    return exitCodeForResult(r);
  }
  const s = status === 'RUNNING' ? ((await queryState(ctx, handle)) as ReleaseState | undefined) : undefined;
  if (status === 'RUNNING' && !s) await warnIfNoWorker(ctx, io);
  if (opts.json) {
    io.out(JSON.stringify({ workflowId: id, status, state: s }));
    return ExitCode.Success;
  }
  io.out(`${id}: release, ${status.toLowerCase()}  (${workflowUrl(ctx, id)})`);
  if (s) {
    io.out(`step: ${s.step}`);
    if (s.requester) io.out(`requested by ${s.requester.principal} [signed, key ${s.requester.fingerprint}]`);
    if (s.pinned.length)
      io.out(`pinned: ${s.pinned.map((p) => `${p.name} ${p.versionLabel ?? p.versionKey}`).join(', ')}`);
    for (const l of stageLines(s)) io.out(l);
    for (const l of gateInstructions(id, s as never)) io.out(l);
  }
  return ExitCode.Success;
}

const ListFlags = z.strictObject({
  pending: z.boolean().optional(),
  release: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  app: z.string().min(1).optional(),
  json: z.boolean().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Builds the visibility query from the flags (search attributes only). */
export function listQuery(f: z.infer<typeof ListFlags>): string {
  const parts = [`WorkflowType IN (${quote(WORKFLOW_TYPE)}, ${quote(RELEASE_WORKFLOW_TYPE)})`];
  if (f.pending)
    parts.push(`${sa.gate.name} IN ("conflicts", "intervention", "promotion")`, 'ExecutionStatus = "Running"');
  if (f.release) parts.push(`${sa.release.name} = ${quote(f.release)}`);
  if (f.target) parts.push(`${sa.target.name} = ${quote(f.target)}`);
  if (f.app) parts.push(`${sa.applications.name} = ${quote(f.app)}`);
  return parts.join(' AND ');
}

export async function list(ctx: CliContext, raw: unknown, io: Io): Promise<ExitCode> {
  const r = ListFlags.safeParse(raw);
  if (!r.success)
    throw new CliError(`invalid list options: ${describeIssues(r.error.issues, raw)}`, ExitCode.InvalidInput);
  const rows = [];
  for await (const w of ctx.client.workflow.list({ query: listQuery(r.data) })) {
    const get = <T>(k: { name: string }) => (w.searchAttributes?.[k.name] as T[] | undefined) ?? [];
    const release = get<string>(sa.release)[0];
    const isRelease = w.type === RELEASE_WORKFLOW_TYPE;
    rows.push({
      workflowId: w.workflowId,
      kind: isRelease ? 'release' : release ? `stage of ${release}` : 'deployment',
      status: w.status.name,
      started: w.startTime.toISOString(),
      applications: get<string>(sa.applications),
      source: get<string>(sa.source)[0],
      target: get<string>(sa.target)[0],
      lifetimeStatus: get<string>(sa.status)[0],
      stage: get<string>(sa.stage)[0],
      gate: get<string>(sa.gate)[0],
      outcome: get<string>(sa.outcome)[0],
    });
    if (rows.length >= r.data.limit) break;
  }
  if (r.data.json) io.out(JSON.stringify(rows));
  else if (rows.length === 0) io.out('no deployments match');
  else {
    // One aligned table with a header row.
    const table = [
      ['WORKFLOW ID', 'KIND', 'STATUS', 'APPLICATIONS', 'SOURCE → TARGET', 'LIFETIME / STAGE', 'GATE', 'OUTCOME'],
      ...rows.map((x) => [
        x.workflowId,
        x.kind,
        x.status.toLowerCase(),
        x.applications.join(',') || '-',
        `${x.source ?? '-'} → ${x.target ?? '-'}`,
        (x.kind === 'release' ? x.stage : x.lifetimeStatus) ?? '-',
        x.gate ?? '-',
        x.outcome ?? '-',
      ]),
    ];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table)
      io.out(
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
  }
  return ExitCode.Success;
}

export async function cancel(ctx: CliContext, workflowId: string, io: Io): Promise<ExitCode> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  try {
    const ended = await endedAs(handle);
    if (ended) {
      io.out(`nothing to cancel: ${workflowId} has ended (${ended})`);
      return ExitCode.Ignored;
    }
    await handle.cancel();
  } catch (err) {
    if (isNotFound(err)) throw new CliError(`no deployment ${workflowId}`, ExitCode.NotFound);
    throw err;
  }
  io.out(`cancellation requested for ${workflowId}: a saved plan will be deleted, a running plan aborted`);
  return ExitCode.Success;
}

export function operatorCommands(run: Run, io: Io, env: NodeJS.ProcessEnv = process.env): Command[] {
  const decision = (kind: 'approve' | 'reject') =>
    new Command(kind)
      .description(
        kind === 'approve' ? 'Approve the open gate of a deployment' : 'Reject the open gate of a deployment',
      )
      .argument('<workflowId>')
      .requiredOption('--by <name>', 'who decides')
      .option('--reason <text>', 'why')
      .option(
        '--map <extension:logicalDb=connection>',
        'a database mapping LifeTime asks for (needs_configuration_or_confirmation; repeatable)',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option(
        '--sign-with <key>',
        'sign the decision with this SSH key: a private key file, or a public key held by ssh-agent (default: $LIFETIME_DEPLOY_SIGNING_KEY)',
      )
      .option(
        '--expires-in <minutes>',
        `how long the signed decision is valid (default ${DEFAULT_EXPIRES_IN_MINUTES}, at most ${SIGNING_LIMITS.maxValidityMinutes})`,
      )
      .option('--print-payload', 'print the signed JSON payload (for temporal workflow signal --input); send nothing')
      .option('--json', 'machine-readable output')
      .addHelpText(
        'after',
        `\nExamples:\n  $ lifetime-deploy ${kind} deploy-employeebackoffice-… --by alice --reason "checked with the HR team"` +
          `\n  $ lifetime-deploy ${kind} deploy-employeebackoffice-… --by alice --sign-with ~/.ssh/id_ed25519`,
      )
      .action(async (id: string, o: DecisionFlags) => {
        const mappings = (o.map ?? []).map(parseMapping);
        const payload = parseDecision({
          by: o.by,
          ...(o.reason !== undefined ? { reason: o.reason } : {}),
          ...(mappings.length ? { mappings } : {}),
        });
        const sign = parseSigning(o, payload.by, env);
        await run((ctx) => decide(ctx, kind, id, payload, io, o.json, sign, env));
      });
  return [
    decision('approve'),
    decision('reject'),
    new Command('status')
      .description('Show where a deployment or a release is (with --follow: until it ends)')
      .argument('<workflowId>')
      .option('--follow', 'follow it to the end')
      .option('--json', 'machine-readable output')
      .addHelpText('after', '\nExample:\n  $ lifetime-deploy status deploy-employeebackoffice-… --follow')
      .action(async (id: string, o: { follow?: boolean; json?: boolean }) => run((ctx) => status(ctx, id, io, o))),
    new Command('list')
      .description('List deployments and releases (from the search attributes)')
      .option('--pending', 'only deployments and releases waiting for a decision')
      .option('--target <env>', 'only deployments to this target environment (name)')
      .option('--app <name>', 'only deployments of this application (name)')
      .option('--release <id>', 'a release and the deployments of its stages')
      .option('--limit <n>', 'at most this many', '50')
      .option('--json', 'machine-readable output')
      .addHelpText(
        'after',
        '\nExamples:\n  $ lifetime-deploy list --pending --target Production\n  $ lifetime-deploy list --app EmployeeBackoffice --json',
      )
      .action(async (o: Record<string, unknown>) => run((ctx) => list(ctx, o, io))),
    new Command('cancel')
      .description('Cancel a deployment: deletes a saved plan or aborts a running one')
      .argument('<workflowId>')
      .addHelpText('after', '\nExample:\n  $ lifetime-deploy cancel deploy-employeebackoffice-…')
      .action(async (id: string) => run((ctx) => cancel(ctx, id, io))),
  ];
}
