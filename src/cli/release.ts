/**
 * Release commands: `promote` (a release through a route of environments), `manifest` (pinned versions in the
 * trigger-manifest format of OutSystems' CI tooling) and `rollback` (a stage's previous versions, as a deployment).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { WorkflowFailedError, type Client, type WorkflowStartOptions } from '@temporalio/client';
import { z } from 'zod';
import { describeIssues, quoteValue } from '../workflows/describe-issues';
import { searchAttributes as sa, type DeployRequestInput } from '../workflows/messages';
import {
  isReleaseState,
  ReleaseRequest,
  releaseSignatureSubject,
  RELEASE_WORKFLOW_TYPE,
  type PinnedApp,
  type ReleaseRequestInput,
  type ReleaseResult,
  type ReleaseState,
  type StageRecord,
  type TriggerManifest,
} from '../workflows/release-messages';
import { signReleaseRequest } from '../signing';
import type { promoteRelease, releaseManifest } from '../workflows/promote';
import {
  addPolicyOptions,
  buildPolicies,
  flagFor,
  FLAG_FOR,
  requester,
  announceAndFollow,
  checkRequestSigning,
  REQUEST_SIGNATURE_MINUTES,
  startOrAttach,
  startOrAttachWorkflow,
  type PolicyFlags,
  withRequestSignature,
} from '../starter';
import {
  CliError,
  ExitCode,
  exitCodeForResult,
  queryState,
  warnIfNoWorker,
  workflowUrl,
  type CliContext,
  type Io,
} from './common';
import { decisionLine, follow, gateInstructions } from './follow';

type Run = (fn: (ctx: CliContext) => Promise<ExitCode>) => Promise<void>;

export interface PromoteFlags extends PolicyFlags {
  app?: string[];
  through?: string;
  gateBefore?: string[];
  tagModified?: boolean;
  allowDowngrade?: boolean;
  manifest?: string;
  notes?: string;
  requestedBy?: string;
  redeployOutdated?: boolean;
  signWith?: string;
  id?: string;
  wait?: boolean;
  json?: boolean;
}

const RELEASE_FLAGS: Record<string, string> = {
  ...FLAG_FOR,
  applications: '--app',
  pinned: '--manifest',
  route: '--through',
  gateBefore: '--gate-before',
};

// ------------------------------------------------------------------------------------------------------------
// The trigger manifest (OutSystems CI tooling): read with zod, so a bad file names the field and the value.

const text = z.string().trim().min(1);
export const TriggerManifestFile = z.looseObject({
  ApplicationVersions: z
    .array(
      z.looseObject({
        ApplicationKey: text,
        ApplicationName: text,
        VersionKey: text,
        VersionNumber: z.string(),
        IsTestApplication: z.boolean().optional(),
        DeploymentZoneKey: z.string().nullish(),
        DeploymentZoneName: z.string().nullish(),
      }),
    )
    .min(1),
  EnvironmentDefinitions: z
    .array(
      z.looseObject({
        EnvironmentKey: z.string(),
        EnvironmentName: z.string(),
        EnvironmentLabel: z.string().optional(),
      }),
    )
    .optional(),
  ConfigurationItems: z.array(z.unknown()).optional(),
  DeploymentNotes: z.string().nullish(),
});

/** A trigger manifest's file → the versions it pins (test applications are left out, and said so). */
export function readManifest(file: string, io?: Io): { pinned: PinnedApp[]; notes?: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(
      `--manifest ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid JSON (${(err as Error).message})`}`,
      ExitCode.InvalidInput,
    );
  }
  const r = TriggerManifestFile.safeParse(raw);
  if (!r.success)
    throw new CliError(
      `--manifest ${file}: not a trigger manifest: ${describeIssues(r.error.issues, raw)}`,
      ExitCode.InvalidInput,
    );
  const tests = r.data.ApplicationVersions.filter((a) => a.IsTestApplication);
  if (tests.length && io)
    io.err(`--manifest: test applications left out of the release: ${tests.map((a) => a.ApplicationName).join(', ')}`);
  return {
    pinned: r.data.ApplicationVersions.filter((a) => !a.IsTestApplication).map((a) => ({
      key: a.ApplicationKey,
      name: a.ApplicationName,
      versionKey: a.VersionKey,
      versionLabel: a.VersionNumber,
      ...(a.DeploymentZoneName ? { zoneName: a.DeploymentZoneName } : {}),
    })),
    notes: r.data.DeploymentNotes ?? undefined,
  };
}

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Flags → the release request, validated by the workflow's own schema. Throws CliError(InvalidInput). */
export function buildReleaseRequest(
  f: PromoteFlags,
  env: NodeJS.ProcessEnv = process.env,
  io?: Io,
): ReleaseRequestInput {
  const manifest = f.manifest ? readManifest(f.manifest, io) : undefined;
  if (manifest && f.app?.length) throw new CliError('give --app or --manifest, not both', ExitCode.InvalidInput);
  const raw = {
    applications: (f.app ?? []).map((app) => ({ app })),
    ...(manifest ? { pinned: manifest.pinned } : {}),
    route: list(f.through),
    gateBefore: (f.gateBefore ?? []).flatMap((g) => list(g)),
    tagModified: !!f.tagModified,
    allowDowngrade: !!f.allowDowngrade,
    notes: f.notes ?? manifest?.notes ?? '',
    redeployOutdated: !!f.redeployOutdated,
    requestedBy: requester(f, env),
    policies: buildPolicies(f),
  };
  if (manifest && f.tagModified)
    throw new CliError(
      '--tag-modified: a manifest pins its versions already; tag before writing it',
      ExitCode.InvalidInput,
    );
  const parsed = ReleaseRequest.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => describeIssues([issue], raw, (p) => flagFor(p, RELEASE_FLAGS)));
    throw new CliError(`invalid release request:\n  ${lines.join('\n  ')}`, ExitCode.InvalidInput);
  }
  return raw as ReleaseRequestInput;
}

/** The one way a release is started: summary, details and initial search attributes, like a deployment's. */
export function releaseStartOptions(
  request: ReleaseRequestInput,
  taskQueue: string,
  workflowId: string,
): WorkflowStartOptions<typeof promoteRelease> {
  const parsed = ReleaseRequest.parse(request);
  const apps = parsed.pinned?.map((p) => p.name) ?? parsed.applications.map((a) => a.app ?? '?');
  return {
    taskQueue,
    workflowId,
    args: [request],
    workflowIdConflictPolicy: 'FAIL',
    staticSummary: `Release ${apps.join(', ')}: ${parsed.route.join(' → ')}`,
    staticDetails: `Requested by ${parsed.requestedBy}${parsed.gateBefore.length ? `; a go before ${parsed.gateBefore.join(', ')}` : ''}${parsed.notes ? `. Notes: ${parsed.notes}` : ''}`,
    ...(parsed.searchAttributes
      ? {
          typedSearchAttributes: [
            { key: sa.release, value: workflowId },
            { key: sa.stage, value: 'none' },
            { key: sa.requestedBy, value: parsed.requestedBy },
            { key: sa.gate, value: 'none' },
            { key: sa.applications, value: apps },
            { key: sa.source, value: parsed.route[0]! },
            { key: sa.target, value: parsed.route.at(-1)! },
          ],
        }
      : {}),
  };
}

export const startOrAttachRelease = (
  client: Client,
  request: ReleaseRequestInput,
  taskQueue: string,
  workflowId: string,
) =>
  startOrAttachWorkflow<typeof promoteRelease>(
    client,
    RELEASE_WORKFLOW_TYPE,
    releaseStartOptions(request, taskQueue, workflowId),
  );

const dur = (st: StageRecord) =>
  st.startedAt && st.finishedAt
    ? `${Math.round((Date.parse(st.finishedAt) - Date.parse(st.startedAt)) / 1000)} s`
    : '-';

/** The stage table: one line a stage (status, outcome, plan, versions before → pinned, duration). */
export function stageLines(s: Pick<ReleaseState, 'stages' | 'pinned'>): string[] {
  const rows = [
    ['STAGE', 'STATUS', 'OUTCOME', 'PLAN', 'BEFORE → AFTER', 'TIME'],
    ...s.stages.map((st) => {
      const before = (st.before ?? []).map((b) => `${b.name} ${b.versionLabel ?? b.versionKey}`);
      const after = (st.deployed ?? []).map((n) => `${n} ${s.pinned.find((p) => p.name === n)?.versionLabel ?? ''}`);
      return [
        `${st.index}/${s.stages.length} ${st.source.name} → ${st.target.name}`,
        st.status,
        st.outcome ?? '-',
        st.deploymentKey ?? '-',
        st.status === 'deployed' || st.status === 'deploying'
          ? `${before.join(', ') || 'none'} → ${after.join(', ')}`
          : '-',
        dur(st),
      ];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

export function releaseResultLines(r: ReleaseResult): string[] {
  const lines = [
    `release outcome: ${r.outcome}`,
    `pinned: ${r.pinned.map((p) => `${p.name} ${p.versionLabel ?? p.versionKey}`).join(', ')}`,
  ];
  if (r.requester) lines.push(`requested by ${r.requester.principal} [signed, key ${r.requester.fingerprint}]`);
  if (r.tagged.length) lines.push(`tagged: ${r.tagged.map((t) => `${t.name} ${t.versionLabel}`).join(', ')}`);
  lines.push(...stageLines(r));
  for (const st of r.stages) if (st.message) lines.push(`stage ${st.index} (${st.target.name}): ${st.message}`);
  if (r.failure) lines.push(`failure (${r.failure.type}): ${r.failure.message}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push(`${r.durations.totalSeconds} s in all`);
  return lines;
}

/** Follows a release stage by stage; a deploying stage's deployment is followed live (its log, its gates). */
export async function followRelease(
  ctx: CliContext,
  releaseId: string,
  io: Io,
  opts: { json?: boolean; intervalMs?: number } = {},
): Promise<ReleaseResult> {
  const handle = ctx.client.workflow.getHandle(releaseId);
  const resultPromise = handle.result() as Promise<ReleaseResult>;
  let done = false;
  resultPromise.then(
    () => (done = true),
    () => (done = true),
  );
  const seen = new Map<number, string>();
  const followed = new Set<string>();
  let lastGate = 0;
  let lastDecisions = 0;
  let checkedWorker = false;
  const quiet: Io = { out: () => undefined, err: (l) => io.err(`    ${l}`) };
  while (!done) {
    const s = (await queryState(ctx, handle, 3000).catch(() => undefined)) as ReleaseState | undefined;
    if (!s && !checkedWorker && !done) {
      checkedWorker = true;
      await warnIfNoWorker(ctx, io);
    }
    if (s && isReleaseState(s)) {
      for (const st of s.stages) {
        const key = `${st.status}${st.outcome ?? ''}`;
        if (seen.get(st.index) !== key) {
          seen.set(st.index, key);
          io.err(
            `▶ stage ${st.index}/${s.stages.length} ${st.source.name} → ${st.target.name}: ${st.status}${st.outcome ? ` (${st.outcome})` : ''}${st.message ? ` — ${st.message}` : ''}`,
          );
        }
      }
      for (const d of s.decisions.slice(lastDecisions)) io.err(decisionLine(d));
      lastDecisions = s.decisions.length;
      if (s.gate && s.gate.id !== lastGate) {
        for (const l of gateInstructions(releaseId, s as never)) io.err(l);
        lastGate = s.gate.id;
      }
      const deploying = s.stages.find((st) => st.status === 'deploying');
      if (deploying && !followed.has(deploying.workflowId)) {
        followed.add(deploying.workflowId);
        io.err(`  stage deployment ${deploying.workflowId} (${workflowUrl(ctx, deploying.workflowId)}):`);
        // The stage's own progress (log, LifeTime status, its gates), indented; its result comes with the release's.
        await follow(ctx, deploying.workflowId, quiet, { intervalMs: opts.intervalMs }).catch(() => undefined);
        continue;
      }
    }
    await Promise.race([
      resultPromise.catch(() => undefined),
      new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000)),
    ]);
  }
  const result = await resultPromise;
  if (opts.json) io.out(JSON.stringify({ workflowId: releaseId, ...result }));
  else for (const l of releaseResultLines(result)) io.out(l);
  return result;
}

/**
 * The release request with the requester's signature over it (workflow ID, requester, route, gates, applications,
 * terms).
 */
export async function signReleaseRequestWith(
  request: ReleaseRequestInput,
  workflowId: string,
  keyPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReleaseRequestInput> {
  const subject = releaseSignatureSubject(ReleaseRequest.parse(request));
  return withRequestSignature(request, keyPath, env, (key, opts) =>
    signReleaseRequest({ workflowId, ...subject, expiresInMinutes: REQUEST_SIGNATURE_MINUTES }, key, opts),
  );
}

export async function promote(ctx: CliContext, flags: PromoteFlags, io: Io, env = process.env): Promise<ExitCode> {
  const built = buildReleaseRequest(flags, env, io);
  checkRequestSigning(flags, built.requestedBy);
  const workflowId = flags.id ?? `release-${randomUUID().slice(0, 8)}`;
  const request = flags.signWith ? await signReleaseRequestWith(built, workflowId, flags.signWith, env) : built;
  const { existing } = await startOrAttachRelease(ctx.client, request, ctx.taskQueue, workflowId);
  return announceAndFollow(ctx, io, { workflowId, existing, json: flags.json, wait: flags.wait, what: 'release' }, () =>
    followRelease(ctx, workflowId, io, { json: flags.json }),
  );
}

/** `manifest`: pins the versions in an environment (on the worker, which holds the LifeTime token) and writes them. */
export async function manifest(
  ctx: CliContext,
  f: { app: string[]; from: string; out?: string; notes?: string },
  io: Io,
): Promise<ExitCode> {
  if (!f.app.length) throw new CliError('--app: give at least one application', ExitCode.InvalidInput);
  await warnIfNoWorker(ctx, io);
  let m: TriggerManifest;
  try {
    m = await ctx.client.workflow.execute<typeof releaseManifest>('releaseManifest', {
      taskQueue: ctx.taskQueue,
      workflowId: `manifest-${randomUUID().slice(0, 8)}`,
      args: [{ applications: f.app, environment: f.from, notes: f.notes ?? '' }],
      workflowExecutionTimeout: '5 minutes',
    });
  } catch (err) {
    if (err instanceof WorkflowFailedError)
      throw new CliError(
        `manifest: ${(err.cause?.cause as Error | undefined)?.message ?? err.cause?.message ?? err.message}`,
        ExitCode.Failed,
      );
    throw err;
  }
  const body = `${JSON.stringify(m, null, 2)}\n`;
  if (f.out) {
    writeFileSync(f.out, body);
    io.err(`wrote ${f.out}: ${m.ApplicationVersions.map((a) => `${a.ApplicationName} ${a.VersionNumber}`).join(', ')}`);
  } else io.out(body.trimEnd());
  return ExitCode.Success;
}

/** What a stage's rollback deploys: the versions its target ran before, of the applications the stage changed. */
export function rollbackPlan(
  r: Pick<ReleaseResult, 'stages'>,
  stageName: string,
): { stage: StageRecord; apps: { app: string; versionKey: string }[]; notThereBefore: string[] } {
  const stage = r.stages.find(
    (st) => st.target.name.toLowerCase() === stageName.trim().toLowerCase() || st.target.key === stageName,
  );
  if (!stage)
    throw new CliError(
      `--stage: ${quoteValue(stageName)} is not a stage of this release (stages: ${r.stages.map((s) => s.target.name).join(', ')})`,
      ExitCode.InvalidInput,
    );
  if (stage.status !== 'deployed')
    throw new CliError(
      `--stage ${stage.target.name}: the stage was ${stage.status}, there is nothing to roll back`,
      ExitCode.InvalidInput,
    );
  const changed = stage.deployed ?? [];
  const apps = changed.flatMap((name) => {
    const b = stage.before?.find((x) => x.name === name);
    return b?.versionKey ? [{ app: name, versionKey: b.versionKey }] : [];
  });
  const notThereBefore = changed.filter((name) => !stage.before?.some((x) => x.name === name && x.versionKey));
  return { stage, apps, notThereBefore };
}

export async function rollback(
  ctx: CliContext,
  releaseId: string,
  f: PolicyFlags & { stage: string; requestedBy?: string; id?: string; wait?: boolean; json?: boolean },
  io: Io,
  env = process.env,
): Promise<ExitCode> {
  const handle = ctx.client.workflow.getHandle(releaseId);
  const desc = await handle.describe().catch((err: unknown) => {
    throw new CliError(`no release ${releaseId} (${(err as Error).message})`, ExitCode.NotFound);
  });
  if (desc.type !== RELEASE_WORKFLOW_TYPE)
    throw new CliError(`${releaseId} is not a release (it is a ${desc.type})`, ExitCode.InvalidInput);
  if (desc.status.name === 'RUNNING')
    throw new CliError(
      `release ${releaseId} is still running; cancel it or wait for its end before a rollback`,
      ExitCode.InvalidInput,
    );
  const result = (await handle.result()) as ReleaseResult;
  const { stage, apps, notThereBefore } = rollbackPlan(result, f.stage);
  if (notThereBefore.length)
    io.err(
      `not rolled back (${stage.target.name} did not run them before the stage; LifeTime cannot undeploy): ${notThereBefore.join(', ')}`,
    );
  if (!apps.length)
    throw new CliError(
      `--stage ${stage.target.name}: no application had an earlier version there`,
      ExitCode.InvalidInput,
    );
  const request: DeployRequestInput = {
    applications: apps,
    source: stage.source.name,
    target: stage.target.name,
    notes: `Rollback of release ${releaseId}, stage ${stage.target.name}`,
    requestedBy: requester(f, env),
    policies: buildPolicies(f),
  };
  const workflowId = f.id ?? `${releaseId}.rollback-${stage.index}`;
  const { existing } = await startOrAttach(ctx.client, request, ctx.taskQueue, workflowId);
  io.err(
    `${existing ? 'already running: ' : 'started rollback '}${workflowId}: ${apps.map((a) => a.app).join(', ')} back to ${stage.before
      ?.filter((b) => apps.some((a) => a.app === b.name))
      .map((b) => `${b.name} ${b.versionLabel ?? b.versionKey}`)
      .join(', ')} in ${stage.target.name}`,
  );
  io.err(`Temporal UI: ${workflowUrl(ctx, workflowId)}`);
  if (!f.wait) {
    io.out(f.json ? JSON.stringify({ workflowId, existing }) : workflowId);
    return ExitCode.Success;
  }
  return exitCodeForResult(await follow(ctx, workflowId, io, { json: f.json }));
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function releaseCommands(run: Run, io: Io): Command[] {
  return [
    addPolicyOptions(new Command('promote'))
      .description('Promote the same versions through a route of environments (a release)')
      .option('--app <name|key>', 'application to pin in the first environment (repeatable)', collect)
      .option('--manifest <file>', 'pinned versions from a trigger manifest (instead of --app)')
      .requiredOption('--through <envs>', 'the route, comma-separated: Development,Quality,Production')
      .option('--gate-before <env>', 'wait for a go before this stage (repeatable or comma-separated)', collect)
      .option('--tag-modified', 'tag applications with untagged changes in the first environment, and pin those')
      .option('--allow-downgrade', 'deploy even where a target runs a newer version')
      .option('--notes <text>', 'notes for every stage’s plan')
      .option('--requested-by <name>', 'who asks (default: $LIFETIME_DEPLOY_USER, $USER, or the OS account)')
      .option('--redeploy-outdated', 'also redeploy consumer apps the plans make outdated')
      .option(
        '--sign-with <key>',
        'sign the request with this SSH key (a private key file, or a public key held by ssh-agent): the requester becomes a verified principal for the self-approval check',
      )
      .option('--id <workflowId>', 'the release’s workflow ID (default: release-<random>)')
      .option('--wait', 'follow the release stage by stage and exit with its outcome')
      .option('--json', 'machine-readable output on stdout')
      .addHelpText(
        'after',
        `
Examples:
  $ lifetime-deploy promote --app HRCore --app PayrollPortal --through Development,Quality,Production --gate-before Production --wait
  $ lifetime-deploy promote --manifest release.json --through Quality,Production --approver alice`,
      )
      .action(async (opts: PromoteFlags) => {
        checkRequestSigning(opts, buildReleaseRequest(opts).requestedBy); // validate before connecting
        await run((ctx) => promote(ctx, opts, io));
      }),
    new Command('manifest')
      .description('Write the versions an environment runs as a trigger manifest (OutSystems CI tooling format)')
      .requiredOption('--app <name|key>', 'application (repeatable)', collect, [])
      .requiredOption('--from <env>', 'environment whose versions are pinned')
      .option('--out <file>', 'write to this file (default: standard output)')
      .option('--notes <text>', 'DeploymentNotes')
      .addHelpText(
        'after',
        '\nExample:\n  $ lifetime-deploy manifest --app HRCore --app PayrollPortal --from Development --out release.json',
      )
      .action(async (o: { app: string[]; from: string; out?: string; notes?: string }) =>
        run((ctx) => manifest(ctx, o, io)),
      ),
    addPolicyOptions(new Command('rollback'))
      .description('Deploy to a stage’s environment the versions it ran before the release')
      .argument('<releaseId>')
      .requiredOption('--stage <env>', 'the stage, by its target environment')
      .option('--requested-by <name>', 'who asks')
      .option('--id <workflowId>', 'the rollback deployment’s workflow ID')
      .option('--wait', 'follow the rollback and exit with its outcome')
      .option('--json', 'machine-readable output on stdout')
      .addHelpText('after', '\nExample:\n  $ lifetime-deploy rollback release-1a2b3c4d --stage Production --wait')
      .action(async (id: string, o: PolicyFlags & { stage: string; wait?: boolean; json?: boolean }) =>
        run((ctx) => rollback(ctx, id, o, io)),
      ),
  ];
}
