/**
 * `lifetime-deploy schedule create|list|pause|unpause|delete|trigger`: Temporal Schedules that start a deployment
 * (`-- deploy <deploy flags>`) or a release (`-- promote <promote flags>`). The schedule's action is built by the
 * same code as `deploy` / `promote` (their commands parse the flags, buildRequest / buildReleaseRequest validate
 * them, startOptions / releaseStartOptions give the workflow type's task queue, summary and search attributes), so
 * bad input names the same flags and nothing is created.
 */
import { Command, Option } from 'commander';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleOverlapPolicy,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { CronExpressionParser } from 'cron-parser';
import { IANAZone } from 'luxon';
import { quoteValue } from '../workflows/describe-issues';
import { WORKFLOW_TYPE, searchAttributes as sa } from '../workflows/messages';
import { RELEASE_WORKFLOW_TYPE } from '../workflows/release-messages';
import { buildRequest, deployCommand, requester, startOptions, type DeployFlags } from '../starter';
import { buildReleaseRequest, releaseCommands, releaseStartOptions, type PromoteFlags } from './release';
import { CliError, ExitCode, warnIfNoWorker, workflowUrl, type CliContext, type Io } from './common';

type Run = (fn: (ctx: CliContext) => Promise<ExitCode>) => Promise<void>;

const OVERLAP: Record<string, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'allow-all': 'ALLOW_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
};

/** A run missed by more than this (Temporal was down) is not taken late: a deployment belongs to its time. */
export const CATCHUP_WINDOW = '10 minutes';

export interface CreateFlags {
  cron?: string;
  every?: string;
  timeZone?: string;
  overlap?: string;
  note?: string;
  paused?: boolean;
}

/** What a schedule starts, built and validated by the `deploy` / `promote` code. */
export interface ScheduledAction {
  kind: 'deployment' | 'release';
  workflowType: string;
  /** The action's workflow ID; Temporal appends the scheduled time (`<id>-2026-12-05T22:00:00Z`). */
  workflowId: string;
  /** The command as given (deploy/promote and its flags), for `schedule list` and the Temporal UI memo. */
  command: string;
  build(taskQueue: string): ScheduleOptionsStartWorkflowAction<Workflow>;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function checkScheduleId(id: string): string {
  if (!ID.test(id))
    throw new CliError(
      `<scheduleId>: expected 1-100 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${quoteValue(id)}`,
      ExitCode.InvalidInput,
    );
  return id;
}

/** `--every`: `30m`, `1h`, `1d`, `1h30m` → milliseconds (at least a minute). */
export function parseEvery(v: string): number {
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  const m = /^(?:\d+[smhd])+$/.test(v.trim()) ? [...v.trim().matchAll(/(\d+)([smhd])/g)] : [];
  const ms = m.reduce((sum, [, n, u]) => sum + Number(n) * unit[u as keyof typeof unit], 0);
  if (!m.length || ms < 60_000)
    throw new CliError(
      `--every: expected an interval of at least a minute such as 1m, 30m, 6h, 1d or 1h30m, got ${quoteValue(v)}`,
      ExitCode.InvalidInput,
    );
  return ms;
}

const SHORTHANDS = ['@yearly', '@monthly', '@weekly', '@daily', '@hourly'];

/** `--cron`: five fields (minute hour day-of-month month day-of-week) or a shorthand such as @daily. */
export function checkCron(expr: string, timeZone: string): string {
  const e = expr.trim();
  const fields = e.split(/\s+/);
  const shape = SHORTHANDS.includes(e) || (fields.length === 5 && !e.startsWith('@'));
  let problem = shape ? '' : 'expected five fields (minute hour day-of-month month day-of-week) or @daily, @hourly, …';
  if (!problem) {
    try {
      CronExpressionParser.parse(e, { tz: timeZone });
    } catch (err) {
      problem = (err as Error).message;
    }
  }
  if (problem) throw new CliError(`--cron: ${quoteValue(expr)}: ${problem}`, ExitCode.InvalidInput);
  return e;
}

export function checkTimeZone(zone: string): string {
  if (!IANAZone.isValidZone(zone))
    throw new CliError(
      `--time-zone: expected an IANA time zone such as Europe/Lisbon or UTC, got ${quoteValue(zone)}`,
      ExitCode.InvalidInput,
    );
  return zone;
}

/** The schedule's spec from the flags, validated before Temporal is called. */
export function buildSpec(f: CreateFlags): { spec: Record<string, unknown>; text: string } {
  if (!!f.cron === !!f.every)
    throw new CliError(
      `give --cron or --every (one of them), got ${f.cron ? `--cron ${quoteValue(f.cron)} and --every ${quoteValue(f.every)}` : 'neither'}`,
      ExitCode.InvalidInput,
    );
  if (f.every) {
    if (f.timeZone !== undefined)
      throw new CliError(
        `--time-zone ${quoteValue(f.timeZone)}: a time zone applies to --cron only (an --every interval is the same in every zone)`,
        ExitCode.InvalidInput,
      );
    return { spec: { intervals: [{ every: parseEvery(f.every) }] }, text: `every ${f.every.trim()}` };
  }
  const zone = checkTimeZone(f.timeZone ?? 'UTC');
  const cron = checkCron(f.cron!, zone);
  return { spec: { cronExpressions: [cron], timezone: zone }, text: `cron ${cron} (${zone})` };
}

/** The schedule's action from the arguments after `--`: `deploy <flags>` or `promote <flags>`. */
export async function buildAction(
  scheduleId: string,
  words: string[],
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<ScheduledAction> {
  const [name, ...args] = words;
  if (name !== 'deploy' && name !== 'promote')
    throw new CliError(
      `what to start: expected \`-- deploy <deploy flags>\` or \`-- promote <promote flags>\`, got ${name === undefined ? 'nothing' : quoteValue(name)}`,
      ExitCode.InvalidInput,
    );
  // The deploy / promote command itself parses the flags (same options, choices and errors); its action only keeps them.
  const noRun: Run = async () => undefined;
  const cmd = name === 'deploy' ? deployCommand(noRun, io) : releaseCommands(noRun, io)[0]!;
  let flags: (DeployFlags & PromoteFlags) | undefined;
  cmd
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .action((o: DeployFlags & PromoteFlags) => {
      flags = o;
    });
  await cmd.parseAsync(args, { from: 'user' });
  if (!flags) throw new CliError(`${name}: no flags were parsed`, ExitCode.InvalidInput);
  if (flags.plan !== undefined)
    throw new CliError(
      `${name} --plan ${quoteValue(flags.plan)}: a plan built in LifeTime is deployed once; a schedule starts a new plan each run (give --app, --from and --to)`,
      ExitCode.InvalidInput,
    );
  if (flags.signWith !== undefined)
    throw new CliError(
      `${name} --sign-with: a schedule cannot sign its runs (a signature covers one workflow ID and expires in minutes); its runs are requested by schedule:${scheduleId}`,
      ExitCode.InvalidInput,
    );
  for (const [flag, set] of [
    ['--id', flags.id !== undefined],
    ['--wait', !!flags.wait],
    ['--json', !!flags.json],
  ] as const)
    if (set)
      throw new CliError(
        `${name} ${flag}: not for a schedule (its runs get the ID ${name === 'deploy' ? 'deploy' : 'release'}-schedule-${scheduleId}-<scheduled time>; follow them with \`status\`)`,
        ExitCode.InvalidInput,
      );
  // Who asks: the schedule (so its runs are told apart from people's, and any approver may decide at their gates).
  const f = { ...flags, requestedBy: flags.requestedBy ?? `schedule:${scheduleId}` };
  const command = [name, ...args].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`));
  if (name === 'deploy') {
    const request = buildRequest(f, env);
    const workflowId = `deploy-schedule-${scheduleId}`;
    return {
      kind: 'deployment',
      workflowType: WORKFLOW_TYPE,
      workflowId,
      command: command.join(' '),
      build: (taskQueue) => toAction(WORKFLOW_TYPE, startOptions(request, taskQueue, workflowId)),
    };
  }
  const request = buildReleaseRequest(f, env, io);
  const workflowId = `release-schedule-${scheduleId}`;
  return {
    kind: 'release',
    workflowType: RELEASE_WORKFLOW_TYPE,
    workflowId,
    command: command.join(' '),
    build: (taskQueue) => {
      const o = releaseStartOptions(request, taskQueue, workflowId);
      // The release search attribute holds the release's own workflow ID, which only the run knows (ID + time).
      const typed = Array.isArray(o.typedSearchAttributes)
        ? o.typedSearchAttributes.filter((p) => p.key.name !== sa.release.name)
        : o.typedSearchAttributes;
      return toAction(RELEASE_WORKFLOW_TYPE, { ...o, typedSearchAttributes: typed });
    },
  };
}

/** A workflow start (the one way deployments and releases start) as a schedule's action. */
function toAction<W extends Workflow>(
  workflowType: string,
  o: WorkflowStartOptions<W>,
): ScheduleOptionsStartWorkflowAction<Workflow> {
  return {
    type: 'startWorkflow',
    workflowType,
    workflowId: o.workflowId,
    taskQueue: o.taskQueue,
    args: o.args as unknown[],
    ...(o.staticSummary ? { staticSummary: o.staticSummary } : {}),
    ...(o.staticDetails ? { staticDetails: o.staticDetails } : {}),
    ...(o.typedSearchAttributes ? { typedSearchAttributes: o.typedSearchAttributes } : {}),
  };
}

function notFound(err: unknown, id: string): never {
  if (err instanceof ScheduleNotFoundError) throw new CliError(`no schedule ${quoteValue(id)}`, ExitCode.NotFound);
  throw err;
}

async function describe(ctx: CliContext, id: string): Promise<{ handle: ScheduleHandle; d: ScheduleDescription }> {
  const handle = ctx.client.schedule.getHandle(id);
  const d = await handle.describe().catch((err: unknown) => notFound(err, id));
  return { handle, d };
}

export async function create(
  ctx: CliContext,
  scheduleId: string,
  f: CreateFlags,
  action: ScheduledAction,
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<ExitCode> {
  const { spec, text } = buildSpec(f);
  const creator = requester({}, env) || 'unknown';
  try {
    await ctx.client.schedule.create({
      scheduleId,
      spec,
      action: action.build(ctx.taskQueue),
      policies: { overlap: OVERLAP[f.overlap ?? 'skip'], catchupWindow: CATCHUP_WINDOW },
      state: { paused: !!f.paused, note: f.note ?? `created by ${creator}` },
      memo: { kind: action.kind, spec: text, command: action.command, createdBy: creator },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning)
      throw new CliError(
        `<scheduleId>: a schedule ${quoteValue(scheduleId)} exists already (delete it first, or choose another ID)`,
        ExitCode.InvalidInput,
      );
    throw err;
  }
  const { d } = await describe(ctx, scheduleId);
  io.err(`created schedule ${scheduleId}: ${text}, starts a ${action.kind} (${action.command})`);
  io.err(`runs: ${action.workflowId}-<scheduled time>, overlap ${f.overlap ?? 'skip'}${f.paused ? ', paused' : ''}`);
  io.err(`next: ${d.info.nextActionTimes.map((t) => t.toISOString()).join(', ') || '-'}`);
  io.err(
    `Temporal UI: ${ctx.uiBase}/namespaces/${encodeURIComponent(ctx.namespace)}/schedules/${encodeURIComponent(scheduleId)}`,
  );
  await warnIfNoWorker(ctx, io);
  io.out(scheduleId);
  return ExitCode.Success;
}

interface ListRow {
  scheduleId: string;
  kind: string;
  spec: string;
  paused: boolean;
  note?: string;
  next: string[];
  last?: { workflowId: string; scheduledAt: string; status: string; outcome?: string };
}

async function lastRun(ctx: CliContext, r: { workflowId: string; scheduledAt: Date }): Promise<ListRow['last']> {
  try {
    const desc = await ctx.client.workflow.getHandle(r.workflowId).describe();
    const outcome = (desc.searchAttributes?.[sa.outcome.name] as string[] | undefined)?.[0];
    return {
      workflowId: r.workflowId,
      scheduledAt: r.scheduledAt.toISOString(),
      status: desc.status.name.toLowerCase(),
      ...(outcome ? { outcome } : {}),
    };
  } catch {
    return { workflowId: r.workflowId, scheduledAt: r.scheduledAt.toISOString(), status: 'unknown' };
  }
}

export async function list(ctx: CliContext, o: { json?: boolean }, io: Io): Promise<ExitCode> {
  const rows: ListRow[] = [];
  for await (const s of ctx.client.schedule.list()) {
    const type = s.action?.workflowType;
    if (type !== WORKFLOW_TYPE && type !== RELEASE_WORKFLOW_TYPE) continue; // not one of ours
    const recent = s.info.recentActions.at(-1);
    rows.push({
      scheduleId: s.scheduleId,
      kind: type === WORKFLOW_TYPE ? 'deployment' : 'release',
      spec: typeof s.memo?.spec === 'string' ? s.memo.spec : '-',
      paused: s.state.paused,
      ...(s.state.note ? { note: s.state.note } : {}),
      next: s.info.nextActionTimes.slice(0, 2).map((t) => t.toISOString()),
      ...(recent
        ? {
            last: await lastRun(ctx, {
              workflowId: recent.action.workflow.workflowId,
              scheduledAt: recent.scheduledAt,
            }),
          }
        : {}),
    });
  }
  rows.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
  if (o.json) io.out(JSON.stringify(rows));
  else if (!rows.length) io.out('no schedules');
  else {
    const table = [
      ['SCHEDULE', 'STARTS', 'SPEC', 'NEXT RUNS', 'PAUSED', 'LAST RUN'],
      ...rows.map((r) => [
        r.scheduleId,
        r.kind,
        r.spec,
        r.next.join(', ') || '-',
        r.paused ? `yes${r.note ? ` (${r.note})` : ''}` : 'no',
        r.last ? `${r.last.workflowId} ${r.last.status}${r.last.outcome ? ` (${r.last.outcome})` : ''}` : '-',
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

export async function pause(
  ctx: CliContext,
  id: string,
  paused: boolean,
  o: { note?: string },
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<ExitCode> {
  const note = o.note;
  const { handle, d } = await describe(ctx, id);
  const who = requester({}, env) || 'unknown';
  const text = note ?? `${paused ? 'paused' : 'unpaused'} by ${who}`;
  if (paused) await handle.pause(text);
  else await handle.unpause(text);
  io.err(
    `${d.state.paused === paused ? `schedule ${id} was ${paused ? 'paused' : 'not paused'} already; ` : ''}${paused ? 'paused' : 'unpaused'} ${id}: ${text}`,
  );
  return ExitCode.Success;
}

export async function remove(ctx: CliContext, id: string, io: Io): Promise<ExitCode> {
  const { handle, d } = await describe(ctx, id);
  await handle.delete().catch((err: unknown) => notFound(err, id));
  const running = d.info.runningActions.map((a) => a.workflow.workflowId);
  io.err(`deleted schedule ${id}${running.length ? ` (still running, not affected: ${running.join(', ')})` : ''}`);
  return ExitCode.Success;
}

export async function trigger(ctx: CliContext, id: string, io: Io, timeoutMs = 10_000): Promise<ExitCode> {
  const { handle, d } = await describe(ctx, id);
  const before = d.info.numActionsTaken;
  const skippedBefore = d.info.numActionsSkippedOverlap;
  // The schedule's own overlap policy (the SDK's trigger() alone would allow all).
  await handle.trigger(d.policies.overlap ?? 'SKIP').catch((err: unknown) => notFound(err, id));
  // The server takes the action asynchronously: wait a little for it, to print the run's ID (or why it was skipped).
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = await handle.describe().catch((err: unknown) => notFound(err, id));
    if (now.info.numActionsTaken > before) {
      const run = now.info.recentActions.at(-1)!.action.workflow.workflowId;
      io.err(`started ${run}`);
      io.err(`Temporal UI: ${workflowUrl(ctx, run)}`);
      io.out(run);
      return ExitCode.Success;
    }
    if (now.info.numActionsSkippedOverlap > skippedBefore) {
      const running = now.info.runningActions.map((a) => a.workflow.workflowId).join(', ');
      io.err(`not started: the schedule's overlap policy skips a run while ${running || 'another run'} still runs`);
      return ExitCode.Success;
    }
    if (Date.now() > until) {
      io.err(`triggered ${id}; no run has started yet (see \`lifetime-deploy schedule list\`)`);
      return ExitCode.Success;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function scheduleCommand(run: Run, io: Io, env: NodeJS.ProcessEnv): Command {
  const group = new Command('schedule')
    .description(
      'Scheduled deployments and releases (Temporal Schedules): create, list, pause, unpause, delete, trigger',
    )
    .enablePositionalOptions();
  const sub = (c: Command) =>
    group.addCommand(c.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) }));
  sub(
    new Command('create')
      .description('Create a schedule that starts a deployment (-- deploy …) or a release (-- promote …)')
      .argument('<scheduleId>')
      .argument('<command...>', 'deploy <deploy flags> or promote <promote flags> (after --)')
      .option('--cron <expr>', 'when: a cron expression (minute hour day-of-month month day-of-week, or @daily …)')
      .option('--every <interval>', 'when: an interval such as 30m, 6h, 1d (at least 1m)')
      .option('--time-zone <zone>', 'IANA time zone of --cron (default UTC)')
      .addOption(
        new Option('--overlap <policy>', 'when a run is due while the last one still runs')
          .choices(Object.keys(OVERLAP))
          .default('skip'),
      )
      .option('--paused', 'create it paused')
      .option('--note <text>', 'a note shown with the schedule')
      .passThroughOptions()
      .addHelpText(
        'after',
        `
Runs get the workflow ID deploy-schedule-<scheduleId>-<scheduled time> (release-schedule-… for promote) and are
requested by schedule:<scheduleId> unless the deploy flags give --requested-by.

Examples:
  $ lifetime-deploy schedule create quality-nightly --cron "0 22 * * 1-5" --time-zone Europe/Lisbon \\
      -- deploy --app HRCore --from Development --to Quality --on-conflict reject
  $ lifetime-deploy schedule create hourly-dev --every 1h -- promote --app HRCore --through Development,Quality`,
      )
      .action(async (id: string, words: string[], o: CreateFlags) => {
        // Everything is validated before connecting: bad input never reaches Temporal.
        checkScheduleId(id);
        buildSpec(o);
        const action = await buildAction(id, words, io, env);
        await run((ctx) => create(ctx, id, o, action, io, env));
      }),
  );
  sub(
    new Command('list')
      .description('List the schedules of deployments and releases: spec, next runs, paused, last run')
      .option('--json', 'machine-readable output')
      .action(async (o: { json?: boolean }) => run((ctx) => list(ctx, o, io))),
  );
  sub(
    new Command('pause')
      .description('Pause a schedule (no run starts until unpaused)')
      .argument('<scheduleId>')
      .option('--note <text>', 'why (shown in schedule list and the Temporal UI)')
      .action(async (id: string, o: { note?: string }) => run((ctx) => pause(ctx, id, true, o, io, env))),
  );
  sub(
    new Command('unpause')
      .description('Unpause a schedule')
      .argument('<scheduleId>')
      .option('--note <text>', 'why')
      .action(async (id: string, o: { note?: string }) => run((ctx) => pause(ctx, id, false, o, io, env))),
  );
  sub(
    new Command('delete')
      .description('Delete a schedule (runs already started go on)')
      .argument('<scheduleId>')
      .action(async (id: string) => run((ctx) => remove(ctx, id, io))),
  );
  sub(
    new Command('trigger')
      .description('Start a run now (the overlap policy applies) and print its workflow ID')
      .argument('<scheduleId>')
      .action(async (id: string) => run((ctx) => trigger(ctx, id, io))),
  );
  return group;
}
