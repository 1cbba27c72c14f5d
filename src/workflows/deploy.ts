/**
 * deployApplications: the six steps of a LifeTime deployment, durable.
 *   1 resolve environments · 2 resolve versions · 3 create plan · 4 conflicts (gate) · 5 start · 6 poll (gates)
 * Cancellation and the deployment deadline clean up in LifeTime: a saved plan is deleted, a running plan is
 * aborted (and followed to its end when LifeTime refuses).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { act, commands, create, localPolls, lookups, LOCAL_STATUS_POLL, polls } from './activity-proxies';
import { cleanUp, deletePlan, failureMessage } from './cleanup';
import { Gates } from './gates';
import {
  DeployRequest,
  approveSignal,
  describeIssues,
  rejectSignal,
  stateQuery,
  type DeployRequestInput,
  type DeployResult,
  type DeployState,
  type InterventionInfo,
  type Outcome,
  INTERVENTION_INFOS,
  summaryLine,
} from './messages';
import { appendLog, initialState, toResult, Visibility } from './state';

const FINAL_PHASE = /Synchronizing data|Updating application versions|Deploy completed/i;
const SUCCESS: Record<string, Outcome> = {
  finished_successful: 'succeeded',
  finished_with_warnings: 'succeeded_with_warnings',
  force_finished: 'succeeded_with_warnings',
  finished_with_errors: 'failed',
  aborted: 'aborted',
};

class ContinueAsNewNeeded {}

function failureType(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
  return undefined;
}

export async function deployApplications(raw: DeployRequestInput, resume?: DeployState): Promise<DeployResult> {
  const parsed = DeployRequest.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(
      `invalid deployment request: ${describeIssues(parsed.error, raw)}`,
      'InvalidRequest',
    );
  }
  const req = parsed.data;
  const s: DeployState = resume ?? initialState(req, new Date());
  const vis = new Visibility(req, s);
  const gates = new Gates(req, s, vis);
  setHandler(stateQuery, () => s);
  setHandler(approveSignal, (d) => gates.decide('approve', d));
  setHandler(rejectSignal, (d) => gates.decide('reject', d));
  vis.update();

  const deadlineAt = Date.parse(s.timings.requestedAt) + req.policies.deadlineMinutes * 60_000;
  const main = new CancellationScope();
  const deadlineScope = new CancellationScope();
  let timedOut = false;
  deadlineScope
    .run(async () => {
      await sleep(Math.max(1, deadlineAt - Date.now()), { summary: 'deployment deadline' });
      timedOut = true;
      log.warn('deployment deadline passed', { deadline: new Date(deadlineAt).toISOString() });
      main.cancel();
    })
    .catch(() => undefined);

  let outcome: Outcome;
  try {
    outcome = await main.run(() => (resume ? followPlan(req, s, vis, gates) : runSteps(req, s, vis, gates)));
  } catch (err) {
    if (err instanceof ContinueAsNewNeeded) {
      deadlineScope.cancel();
      await condition(allHandlersFinished);
      s.runs += 1;
      log.info('continuing as new', { historyLength: workflowInfo().historyLength, runs: s.runs });
      return await continueAsNew<typeof deployApplications>(raw, s);
    }
    const cancelled = isCancellation(err);
    outcome = cancelled ? (timedOut ? 'timed_out' : 'cancelled') : 'failed';
    if (!cancelled) s.error = failureMessage(err);
    await CancellationScope.nonCancellable(() => cleanUp(s, vis, outcome));
    if (!cancelled) {
      finish(s, vis, outcome);
      // Infrastructure failures (unknown app, bad token, LifeTime errors) fail the workflow with the clear message.
      throw ApplicationFailure.nonRetryable(
        `${s.error}${s.cleanup ? ` (cleanup: ${s.cleanup})` : ''}`,
        failureType(err) ?? 'DeploymentFailed',
      );
    }
  } finally {
    deadlineScope.cancel();
  }
  finish(s, vis, outcome);
  // Non-cancellable: after a cancellation the root scope is cancelled, and the result must still be returned.
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return toResult(s, outcome, new Date());
}

function finish(s: DeployState, vis: Visibility, outcome: Outcome): void {
  s.outcome = outcome;
  s.timings.finishedAt = new Date().toISOString();
  vis.step('done');
}

/** Steps 1–5, then the polling loop. Returns the outcome. */
async function runSteps(req: DeployRequest, s: DeployState, vis: Visibility, gates: Gates): Promise<Outcome> {
  vis.step('resolve-environments');
  const envs = await act.lookups.resolveEnvironments.executeWithOptions(
    { ...lookups, summary: `Resolve environments ${req.source} → ${req.target}` },
    [{ source: req.source, target: req.target }],
  );
  s.source = envs.source;
  s.target = envs.target;

  vis.step('resolve-versions');
  const versions = await act.lookups.resolveVersions.executeWithOptions(
    { ...lookups, summary: `Resolve versions in ${envs.source.name}` },
    [{ sourceKey: envs.source.key, sourceName: envs.source.name, apps: req.applications }],
  );
  s.applications = versions.apps;
  s.notes.push(...versions.notes);

  vis.step('create-plan');
  const info = workflowInfo();
  const plan = await act.create.createPlan.executeWithOptions(
    { ...create, summary: `Create plan: ${summaryLine(req, s)}` },
    [
      {
        marker: `[lifetime-deploy:${info.workflowId}:${info.firstExecutionRunId}]`,
        notes: req.notes,
        sourceKey: envs.source.key,
        targetKey: envs.target.key,
        apps: s.applications.map((a) => ({ versionKey: a.versionKey, deploymentZoneKey: a.deploymentZoneKey })),
      },
    ],
  );
  s.deploymentKey = plan.key;
  s.planReused = plan.reused;
  s.lifetimeStatus = 'saved';
  s.timings.planCreatedAt = new Date().toISOString();

  vis.step('check-conflicts');
  const details = await act.lookups.getPlan.executeWithOptions(
    { ...lookups, summary: `Check conflicts of ${plan.key}` },
    [plan.key],
  );
  if (details.applicationsToRedeploy.length) {
    s.notes.push(`LifeTime will redeploy: ${details.applicationsToRedeploy.join(', ')}`);
  }
  if (details.conflicts.length > 0) {
    const n = details.conflicts.length;
    const reason = `LifeTime reports ${n} conflict${n === 1 ? '' : 's'} in the plan for ${s.target?.name}.`;
    let decision: 'approve' | 'reject';
    if (req.policies.conflicts === 'reject') {
      s.decisions.push({
        decision: 'reject',
        by: 'policy',
        reason: `conflicts policy is "reject": ${reason}`,
        at: new Date().toISOString(),
        gate: 'conflicts',
        applied: true,
        automatic: true,
      });
      decision = 'reject';
    } else {
      const r = await gates.wait({
        kind: 'conflicts',
        reason,
        conflicts: details.conflicts,
        onApprove: 'start the plan despite the conflicts',
        onReject: 'delete the plan; the deployment ends as rejected',
      });
      decision = r.decision;
    }
    if (decision === 'reject') {
      await deletePlan(s, vis);
      return 'rejected';
    }
  }

  const started = await startWhenTargetFree(req, s, vis);
  if (!started) return 'failed';
  return followPlan(req, s, vis, gates);
}

/** Step 5 with the busy-target policy: wait on durable timers (or fail), deleting our plan on giving up. */
async function startWhenTargetFree(req: DeployRequest, s: DeployState, vis: Visibility): Promise<boolean> {
  const key = s.deploymentKey!;
  const { action, maxWaitMinutes, checkIntervalSeconds } = req.policies.busyTarget;
  const waitUntil = Date.now() + maxWaitMinutes * 60_000;
  vis.step('start');
  for (;;) {
    const r = await act.commands.startPlan.executeWithOptions({ ...commands, summary: `Start plan ${key}` }, [
      { key, redeployOutdated: req.redeployOutdated },
    ]);
    if (r.started) {
      s.timings.startedAt = new Date().toISOString();
      return true;
    }
    const why = r.busy ?? 'target busy';
    if (action === 'fail' || Date.now() + checkIntervalSeconds * 1000 > waitUntil) {
      s.error =
        action === 'fail'
          ? `target ${s.target?.name} is busy (busy-target policy: fail): ${why}`
          : `target ${s.target?.name} stayed busy for ${maxWaitMinutes} min: ${why}`;
      await deletePlan(s, vis);
      return false;
    }
    if (s.step !== 'wait-for-target') {
      s.notes.push(`target ${s.target?.name} is busy (${why}); waiting up to ${maxWaitMinutes} min`);
      vis.step('wait-for-target');
    }
    await sleep(checkIntervalSeconds * 1000, { summary: 'wait for the target to be free' });
  }
}

/** Step 6: poll to a terminal status, with adaptive durable timers and intervention gates. */
async function followPlan(req: DeployRequest, s: DeployState, vis: Visibility, gates: Gates): Promise<Outcome> {
  const key = s.deploymentKey!;
  const p = req.policies.polling;
  let interval = s.polls === 0 ? p.firstPollSeconds : p.minIntervalSeconds;
  let rejectedAtGate = false;
  vis.step(s.step === 'aborting' ? 'aborting' : 'polling');
  for (;;) {
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= req.policies.continueAsNewAfterEvents) {
      throw new ContinueAsNewNeeded();
    }
    await sleep(Math.round(interval * 1000), { summary: 'wait before the next status poll' });
    const input = { key, logFrom: s.logCount };
    const summary = `Poll status of ${key}`;
    const st = patched(LOCAL_STATUS_POLL)
      ? await act.localPolls.getStatus.executeWithOptions({ ...localPolls, summary }, [input])
      : await act.polls.getStatus.executeWithOptions({ ...polls, summary }, [input]);
    s.polls += 1;
    const changed = st.status !== s.lifetimeStatus || st.info !== (s.info ?? '');
    s.lifetimeStatus = st.status;
    s.info = st.info || undefined;
    appendLog(s, st.newLog);
    if (changed || st.newLog.length) vis.update();

    switch (st.status) {
      case 'finished_successful':
      case 'finished_with_warnings':
      case 'finished_with_errors':
      case 'force_finished':
      case 'aborted':
        return rejectedAtGate && st.status === 'aborted' ? 'aborted' : SUCCESS[st.status]!;
      case 'saved':
        // Started but not running yet: never success. Poll soon, backing off if it stays saved.
        interval = Math.min(p.maxIntervalSeconds, interval * p.backoff);
        break;
      case 'aborting':
        interval = p.minIntervalSeconds;
        break;
      case 'running': {
        const last = s.log[s.log.length - 1]?.message ?? '';
        interval = FINAL_PHASE.test(last) ? p.minIntervalSeconds : Math.min(p.maxIntervalSeconds, interval * p.backoff);
        break;
      }
      case 'needs_user_intervention': {
        const r = await intervene(req, s, vis, gates, st.info);
        if (r === 'aborted') rejectedAtGate = true;
        interval = p.minIntervalSeconds;
        vis.step(r === 'aborted' ? 'aborting' : 'polling');
        break;
      }
    }
  }
}

const INFO_TEXT: Record<InterventionInfo, string> = {
  deployment_prepared:
    'Two-step deployment: stage 1 is done; stage 2 (database scripts, switch versions) waits for a go.',
  needs_configuration_or_confirmation:
    'LifeTime needs configuration (e.g. extension database mappings) or confirmation.',
  business_process_impact: 'The deployment has business-process impact warnings that need checking.',
  deployment_suspended: 'A step failed on the target and the deployment is suspended; read the log before deciding.',
};

/** Handles `needs_user_intervention` by policy: gate (default), continue or abort. Never continues blindly. */
async function intervene(
  req: DeployRequest,
  s: DeployState,
  vis: Visibility,
  gates: Gates,
  info: string,
): Promise<'continued' | 'aborted' | 'refused'> {
  const known = (INTERVENTION_INFOS as readonly string[]).includes(info);
  const action = known ? req.policies.intervention[info as InterventionInfo] : 'gate';
  let decision: 'approve' | 'reject';
  if (action === 'gate') {
    const lastLines = s.log.slice(-3).map((l) => l.message);
    const r = await gates.wait({
      kind: 'intervention',
      info,
      reason: `${known ? INFO_TEXT[info as InterventionInfo] : `LifeTime asks for intervention (Info "${info}").`}${
        lastLines.length ? ` Last log: ${lastLines.join(' / ')}` : ''
      }`,
      onApprove: 'send `continue` to LifeTime',
      onReject: 'send `abort` to LifeTime and wait for the plan to be aborted',
    });
    decision = r.decision;
  } else {
    decision = action === 'continue' ? 'approve' : 'reject';
    s.decisions.push({
      decision,
      by: 'policy',
      reason: `intervention policy for ${info} is "${action}"`,
      at: new Date().toISOString(),
      gate: 'intervention',
      applied: true,
      automatic: true,
    });
  }
  const command = decision === 'approve' ? 'continue' : 'abort';
  const key = s.deploymentKey!;
  const r = await act.commands.sendCommand.executeWithOptions({ ...commands, summary: `Send ${command} to ${key}` }, [
    { key, command },
  ]);
  if (!r.accepted) {
    s.notes.push(`LifeTime refused ${command}: ${r.refusal}`);
    vis.update();
    return 'refused';
  }
  return command === 'continue' ? 'continued' : 'aborted';
}
