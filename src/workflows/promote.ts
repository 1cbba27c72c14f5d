/**
 * promoteRelease: the same versions through a route of environments (Development → Quality → Production).
 *   route · pin (tag modified apps when asked) · then per stage: read the target · skip / stop on newer · promotion
 *   gate · a deployApplications child with the pinned version keys.
 * The release never duplicates a deployment's logic: every plan is made, gated and followed by its stage's child,
 * whose workflow ID is derived from the release's, so a retried or replayed release never starts a second one.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import { act, lookups } from './activity-proxies';
import { CONTINUE_AS_NEW } from './continue-as-new';
import { deployApplications } from './deploy';
import { DeploymentFailure, failureOf } from './deployment';
import { describeIssues } from './describe-issues';
import { Gates, type GateHost } from './gates';
import { Notifier, type EventBase } from './notifier';
import { Policies, type DeployRequestInput, type DeployResult, type GateKind, type Outcome } from './messages';
import { answerCommands } from './presentation';
import {
  ManifestRequest,
  ReleaseRequest,
  releaseStateQuery,
  stageWorkflowId,
  toManifest,
  type ManifestRequestInput,
  type ReleaseRequestInput,
  type ReleaseResult,
  type ReleaseState,
  type ReleaseStep,
  type StageRecord,
  type TriggerManifest,
} from './release-messages';
import { searchAttributes as sa } from './search-attributes';
import { verifyReleaseRequester } from './requester';
import { clip } from './state';

/** The versions an environment runs (names or keys → pinned), as a trigger manifest: what `manifest` writes. */
export async function releaseManifest(raw: ManifestRequestInput): Promise<TriggerManifest> {
  const r = ManifestRequest.safeParse(raw);
  if (!r.success)
    throw ApplicationFailure.create({
      type: 'InvalidRequest',
      message: `invalid manifest request: ${describeIssues(r.error.issues, raw)}`,
      nonRetryable: true,
    });
  const [env] = await act.lookups.resolveRoute.executeWithOptions(
    { ...lookups, summary: `Resolve ${r.data.environment}` },
    [{ route: [r.data.environment] }],
  );
  const p = await act.lookups.pinVersions.executeWithOptions({ ...lookups, summary: `Pin versions in ${env!.name}` }, [
    {
      source: env!,
      apps: r.data.applications,
      tagModified: false,
      releaseId: workflowInfo().workflowId,
      withZones: true,
    },
  ]);
  return toManifest(p.pinned, [env!], r.data.notes);
}

export async function promoteRelease(raw: ReleaseRequestInput, resume?: ReleaseState): Promise<ReleaseResult> {
  const parsed = ReleaseRequest.safeParse(raw);
  const r = new Release(parsed.success ? parsed.data : undefined, resume);
  if (!parsed.success) {
    r.s.failure = {
      type: 'InvalidRequest',
      message: `invalid release request: ${describeIssues(parsed.error.issues, raw)}`,
    };
    return r.finish('failed');
  }
  let ended: Outcome | typeof CONTINUE_AS_NEW;
  try {
    ended = await runRelease(r, parsed.data);
  } catch (err) {
    const stage = r.s.current !== undefined ? r.s.stages[r.s.current] : undefined;
    if (isCancellation(err)) {
      ended = 'cancelled';
      if (stage && !isSettled(stage)) stopStage(stage, 'cancelled', 'the release was cancelled');
    } else {
      ended = 'failed';
      r.s.failure ??= failureOf(err);
      if (stage && !isSettled(stage)) stopStage(stage, 'failed', r.s.failure.message);
      log.warn('release failed', { ...r.s.failure });
    }
  }
  if (ended === CONTINUE_AS_NEW) return r.continueAsNew(raw);
  return r.finish(ended);
}

const isSettled = (st: StageRecord) => st.status === 'skipped' || st.status === 'deployed' || st.status === 'stopped';

function stopStage(st: StageRecord, outcome: Outcome, message: string): void {
  st.status = 'stopped';
  st.outcome = outcome;
  st.message = clip(message);
  st.finishedAt ??= new Date().toISOString();
}

async function runRelease(r: Release, req: ReleaseRequest): Promise<Outcome | typeof CONTINUE_AS_NEW> {
  const { s } = r;
  if (req.signedRequest !== undefined && !s.requester) {
    // The requester, proven before anything is read or created in LifeTime.
    s.requester = await verifyReleaseRequester(req, s.timings.requestedAt);
    r.update();
  }
  if (!s.route) {
    r.step('resolve-route');
    const route = await act.lookups.resolveRoute.executeWithOptions(
      { ...lookups, summary: `Resolve route ${req.route.join(' → ')}` },
      [{ route: req.route }],
    );
    s.route = route;
    const id = workflowInfo().workflowId;
    s.stages = route.slice(1).map((target, i) => ({
      index: i + 1,
      source: route[i]!,
      target,
      status: 'pending',
      workflowId: stageWorkflowId(id, i + 1, target.name),
    }));
  }
  if (!s.pinned.length) {
    if (req.pinned?.length) s.pinned = req.pinned;
    else {
      r.step('pin-versions');
      const source = s.route[0]!;
      const p = await act.lookups.pinVersions.executeWithOptions(
        { ...lookups, summary: `Pin versions in ${source.name}` },
        [
          {
            source,
            apps: req.applications.map((a) => a.app!),
            tagModified: req.tagModified,
            releaseId: workflowInfo().workflowId,
          },
        ],
      );
      s.pinned = p.pinned;
      s.tagged = p.tagged;
      for (const n of p.notes) if (s.notes.length < 50) s.notes.push(clip(n));
    }
    log.info('versions pinned', { pinned: s.pinned.map((p) => `${p.name} ${p.versionLabel ?? p.versionKey}`) });
    r.update();
  }
  let warnings = false;
  for (const stage of s.stages) {
    if (stage.outcome === 'succeeded_with_warnings') warnings = true;
    if (isSettled(stage)) continue;
    s.current = stage.index - 1;
    const ended = await runStage(r, req, stage);
    if (ended === CONTINUE_AS_NEW) return ended;
    if (ended === 'succeeded_with_warnings') warnings = true;
    else if (ended !== 'succeeded') return ended;
  }
  return warnings ? 'succeeded_with_warnings' : 'succeeded';
}

/** One stage: what the target runs, the promotion gate, the child deployment. Returns the stage's outcome. */
async function runStage(
  r: Release,
  req: ReleaseRequest,
  stage: StageRecord,
): Promise<Outcome | typeof CONTINUE_AS_NEW> {
  const { s } = r;
  const label = stageLabel(s, stage);
  let plan: DeployRequestInput['applications'] = [];
  // The target is read before every gate and start (also after continue-as-new): what it runs may have changed.
  stage.status = 'inspecting';
  r.step('inspect-target');
  const t = await act.lookups.inspectTarget.executeWithOptions(
    { ...lookups, summary: `Read what ${stage.target.name} runs` },
    [{ target: stage.target, pinned: s.pinned }],
  );
  stage.before ??= t.apps.flatMap((a) => (a.running ? [a.running] : []));
  const newer = t.apps.filter((a) => a.relation === 'newer');
  if (newer.length && !req.allowDowngrade) {
    const what = newer
      .map((a) => {
        const pin = s.pinned.find((p) => p.name === a.name)!;
        return `${a.name}: ${stage.target.name} runs ${a.running?.versionLabel ?? a.running?.versionKey}, newer than the pinned ${pin.versionLabel ?? pin.versionKey}`;
      })
      .join('; ');
    throw new DeploymentFailure(
      'NewerInTarget',
      `stage ${label} stopped before anything was created: ${what} (allowDowngrade deploys the pinned versions anyway)`,
    );
  }
  stage.alreadyThere = t.apps.filter((a) => a.relation === 'same').map((a) => a.name);
  plan = t.apps
    .filter((a) => a.relation !== 'same')
    .map((a) => {
      const pin = s.pinned.find((p) => p.name === a.name)!;
      return { app: pin.name, versionKey: pin.versionKey, deploymentZoneKey: a.zoneKey };
    });
  if (plan.length === 0) {
    stage.status = 'skipped';
    stage.outcome = 'succeeded';
    stage.message = `already deployed: ${stage.target.name} runs every pinned version`;
    stage.finishedAt = new Date().toISOString();
    log.info('stage skipped', { stage: label });
    r.update();
    return 'succeeded';
  }
  if (req.gateBefore.some((g) => sameEnv(g, stage.target))) {
    stage.status = 'gate';
    const decision = await r.gates.decide({
      kind: 'promotion',
      reason:
        `Release ${label}: deploy ${plan.map((a) => `${a.app} ${pinLabel(s, a.app!)}`).join(', ')} to ${stage.target.name}` +
        (stage.alreadyThere.length ? ` (already there: ${stage.alreadyThere.join(', ')})` : '') +
        '.',
      onApprove: `start the ${stage.target.name} stage`,
      onReject: `stop the release before ${stage.target.name}; nothing is created there`,
    });
    if (decision === CONTINUE_AS_NEW) return decision;
    if (decision === 'reject') {
      stopStage(stage, 'rejected', `rejected at the promotion gate before ${stage.target.name}`);
      r.update();
      return 'rejected';
    }
  }
  return deployStage(r, req, stage, plan);
}

/** The stage's deployment: a deployApplications child with the pinned version keys, followed to its end. */
async function deployStage(
  r: Release,
  req: ReleaseRequest,
  stage: StageRecord,
  apps: DeployRequestInput['applications'],
): Promise<Outcome> {
  const { s } = r;
  const label = stageLabel(s, stage);
  const releaseId = workflowInfo().workflowId;
  stage.status = 'deploying';
  stage.startedAt = new Date().toISOString();
  stage.deployed = apps.map((a) => a.app!);
  r.step('stage');
  const childReq: DeployRequestInput = {
    applications: apps,
    source: stage.source.name,
    target: stage.target.name,
    notes: clip(`${req.notes ? `${req.notes} ` : ''}(release ${releaseId}, stage ${label})`, 2000),
    redeployOutdated: req.redeployOutdated,
    requestedBy: req.requestedBy,
    policies: req.policies,
    searchAttributes: req.searchAttributes,
  };
  const summary = `Stage ${label}: deploy ${apps.map((a) => a.app).join(', ')}`;
  const child = await startChild(deployApplications, {
    workflowId: stage.workflowId,
    args: [childReq],
    // Cancelling the release cancels the stage, which cleans up in LifeTime before it ends.
    cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    staticSummary: summary,
    staticDetails: `Part of release ${releaseId}, requested by ${req.requestedBy}`,
    ...(req.searchAttributes
      ? {
          typedSearchAttributes: [
            { key: sa.release, value: releaseId },
            { key: sa.requestedBy, value: req.requestedBy },
            { key: sa.status, value: 'none' },
            { key: sa.gate, value: 'none' },
            { key: sa.applications, value: apps.map((a) => a.app!) },
            { key: sa.source, value: stage.source.name },
            { key: sa.target, value: stage.target.name },
          ],
        }
      : {}),
  });
  log.info('stage started', { stage: label, child: stage.workflowId });
  r.update();
  let result: DeployResult;
  try {
    result = await child.result();
  } catch (err) {
    if (err instanceof ChildWorkflowFailure && isCancellation(err.cause)) throw err.cause;
    throw err;
  }
  stage.outcome = result.outcome;
  stage.deploymentKey = result.deploymentKey;
  stage.deploymentSeconds = result.durations.deploymentSeconds;
  stage.finishedAt = new Date().toISOString();
  stage.failure = result.failure;
  const ok = result.outcome === 'succeeded' || result.outcome === 'succeeded_with_warnings';
  stage.status = ok ? 'deployed' : 'stopped';
  stage.message = ok
    ? `deployed ${stage.deployed.join(', ')} (plan ${result.deploymentKey})`
    : clip(`the stage's deployment ended ${result.outcome}${result.failure ? `: ${result.failure.message}` : ''}`);
  if (!ok && result.outcome === 'failed') {
    s.failure = {
      type: result.failure?.type ?? 'Unexpected',
      message: clip(`stage ${label} failed: ${result.failure?.message ?? 'see its deployment'}`),
    };
  }
  log.info('stage ended', { stage: label, outcome: result.outcome });
  r.update();
  return result.outcome;
}

const sameEnv = (name: string, env: { key: string; name: string }) =>
  name === env.key || name.trim().toLowerCase() === env.name.toLowerCase();

const pinLabel = (s: ReleaseState, name: string) => {
  const p = s.pinned.find((x) => x.name === name);
  return p?.versionLabel ?? p?.versionKey ?? '';
};

export const stageLabel = (s: Pick<ReleaseState, 'stages'>, st: StageRecord) =>
  `${st.index}/${s.stages.length} ${st.source.name} → ${st.target.name}`;

const STEP_TEXT: Record<ReleaseStep, string> = {
  'resolve-route': 'Resolving the route’s environments',
  'pin-versions': 'Pinning the versions in the first environment',
  'inspect-target': 'Reading what the stage’s target runs',
  'promotion-gate': 'Waiting for a go before the stage',
  stage: 'Deploying the stage (its own workflow)',
  done: 'Finished',
};

/** Continue-as-new past this history size (the release only continues as new while a gate waits). */
const HISTORY_BYTES_MAX = 8 * 1024 * 1024;

/** A release's run: state, visibility (search attributes, current details), gates and handlers. */
class Release implements GateHost {
  readonly s: ReleaseState;
  readonly gates: Gates;
  readonly policies: ReleaseRequest['policies'];
  readonly requestedBy: string;
  readonly notifier: Notifier;
  private last = new Map<string, string>();

  constructor(
    private readonly req: ReleaseRequest | undefined,
    resume?: ReleaseState,
  ) {
    this.policies = req?.policies ?? Policies.parse({});
    this.requestedBy = req?.requestedBy ?? '';
    this.s = resume ?? {
      step: 'resolve-route',
      requestedBy: this.requestedBy,
      pinned: [],
      tagged: [],
      stages: [],
      decisions: [],
      notes: [],
      timings: { requestedAt: new Date().toISOString() },
      runs: 0,
    };
    this.notifier = new Notifier(
      this.s,
      () => this.eventBase(),
      () => this.update(),
    );
    this.gates = new Gates(this);
    setHandler(releaseStateQuery, () => this.s);
    this.gates.handle();
    if (req) this.update();
  }

  step(step: ReleaseStep): void {
    this.s.step = step;
    log.info('release step', { step, stage: this.s.current !== undefined ? this.s.current + 1 : undefined });
    this.update();
  }

  requester(): ReleaseState['requester'] {
    return this.s.requester;
  }

  waiting(_kind: GateKind): void {
    this.step('promotion-gate');
  }

  shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      info.historyLength >= this.policies.continueAsNewAfterEvents ||
      info.historySize >= HISTORY_BYTES_MAX
    );
  }

  update(): void {
    const s = this.s;
    const current = s.current !== undefined ? s.stages[s.current] : undefined;
    const stage = s.outcome ? 'done' : current ? stageLabel(s, current) : 'none';
    const pairs: SearchAttributePair[] = [];
    const put = (pair: SearchAttributePair, encoded: string) => {
      if (this.last.get(pair.key.name) !== encoded) {
        this.last.set(pair.key.name, encoded);
        pairs.push(pair);
      }
    };
    // A scheduled release's ID is the schedule's plus the scheduled time, which only the run knows: the run sets
    // its own release attribute (the same value a release started by `promote` gets at its start).
    if (this.req?.searchAttributes && patched('release-search-attribute')) {
      const id = workflowInfo().workflowId;
      put({ key: sa.release, value: id }, id);
    }
    put({ key: sa.stage, value: stage }, stage);
    put({ key: sa.gate, value: s.gate?.kind ?? 'none' }, s.gate?.kind ?? 'none');
    if (s.route) {
      put({ key: sa.source, value: s.route[0]!.name }, s.route[0]!.name);
      put({ key: sa.target, value: s.route.at(-1)!.name }, s.route.at(-1)!.name);
    }
    if (s.pinned.length) {
      const names = s.pinned.map((p) => p.name);
      put({ key: sa.applications, value: names }, names.join('\u0000'));
    }
    if (s.outcome) put({ key: sa.outcome, value: s.outcome }, s.outcome);
    if (pairs.length && this.req?.searchAttributes) upsertSearchAttributes(pairs);
    setCurrentDetails(this.details());
  }

  /** Markdown for the Temporal UI: the route, the pinned versions, the stage table and the open gate. */
  private details(): string {
    const s = this.s;
    const id = workflowInfo().workflowId;
    const route = s.route?.map((e) => e.name).join(' → ') ?? this.req?.route.join(' → ') ?? '';
    const lines = [`**Release ${route}**`, '', `Step: ${STEP_TEXT[s.step]}`];
    if (s.requester) lines.push(`Requested by ${s.requester.principal} (signed, key ${s.requester.fingerprint})`);
    if (s.pinned.length)
      lines.push(`Pinned: ${s.pinned.map((p) => `${p.name} ${p.versionLabel ?? p.versionKey}`).join(', ')}`);
    if (s.stages.length) {
      lines.push('', '| stage | status | outcome | plan | deployment |', '|---|---|---|---|---|');
      for (const st of s.stages)
        lines.push(
          `| ${stageLabel(s, st)} | ${st.status} | ${st.outcome ?? ''} | ${st.deploymentKey ?? ''} | \`${st.workflowId}\` |`,
        );
    }
    if (s.gate) {
      lines.push(
        '',
        `### Decision needed (promotion gate)`,
        s.gate.reason,
        `Approve: ${s.gate.onApprove}. Reject: ${s.gate.onReject}.`,
        `Deadline: ${s.gate.deadline}; then: ${s.gate.onTimeout}.`,
        '',
        ...answerCommands(id).map((c) => `- ${c.where}: \`${c.command}\``),
      );
    }
    if (s.outcome) lines.push('', `Outcome: **${s.outcome}**`);
    if (s.failure) lines.push(`Failure (${s.failure.type}): ${s.failure.message}`);
    return lines.join('\n');
  }

  async finish(outcome: Outcome): Promise<ReleaseResult> {
    const s = this.s;
    s.outcome = outcome;
    s.timings.finishedAt = new Date().toISOString();
    this.s.step = 'done';
    this.update();
    const seconds = Math.round((Date.parse(s.timings.finishedAt) - Date.parse(s.timings.requestedAt)) / 1000);
    await CancellationScope.nonCancellable(async () => {
      if (this.req) {
        await this.notifier.emit('workflow.ended', {
          summary: `Release ${outcome}: ${this.eventBase().summary}`,
          outcome,
          durationSeconds: seconds,
          ...(s.failure ? { failure: `${s.failure.type}: ${s.failure.message}` } : {}),
        });
        await this.notifier.drain();
      }
      await condition(allHandlersFinished);
    });
    return {
      outcome,
      ...(s.requester ? { requester: s.requester } : {}),
      route: s.route ?? [],
      pinned: s.pinned,
      tagged: s.tagged,
      stages: s.stages,
      decisions: s.decisions,
      ignoredNotKept: s.ignoredNotKept,
      notes: s.notes,
      failure: s.failure,
      ...(s.notifications ? { notifications: s.notifications } : {}),
      manifest: toManifest(s.pinned, s.route ?? [], this.req?.notes ?? ''),
      durations: {
        totalSeconds: Math.round((Date.parse(s.timings.finishedAt) - Date.parse(s.timings.requestedAt)) / 1000),
      },
      timings: s.timings,
    };
  }

  /** What every notification of this release says about it. */
  private eventBase(): EventBase {
    const s = this.s;
    const route = s.route?.map((e) => e.name) ?? this.req?.route ?? [];
    const current = s.current !== undefined ? s.stages[s.current] : undefined;
    const apps = s.pinned.length
      ? s.pinned.map((p) => ({ name: p.name, ...(p.versionLabel ? { version: p.versionLabel } : {}) }))
      : (this.req?.applications ?? []).map((a) => ({ name: a.app ?? '?' }));
    return {
      workflow: { id: workflowInfo().workflowId, type: 'promoteRelease' },
      summary: `Release ${apps.map((a) => a.name).join(', ')}: ${route.join(' → ')}`,
      applications: apps,
      route,
      ...(current ? { stage: current.target.name } : {}),
      requestedBy: this.requestedBy,
    };
  }

  async continueAsNew(raw: ReleaseRequestInput): Promise<never> {
    await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    this.s.runs += 1;
    return continueAsNew<typeof promoteRelease>(raw, this.s);
  }
}
