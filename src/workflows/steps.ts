/**
 * Steps 1–5 of a deployment, one function each: enter the step (state, log line, search attributes, details), call
 * LifeTime through an activity named for the UI, keep what it returned. Step 6 is `followPlan` (follow.ts).
 */
import { sleep, workflowInfo } from '@temporalio/workflow';
import { act, commands, create, lookups } from './activity-proxies';
import { CONTINUE_AS_NEW } from './continue-as-new';
import { DeploymentFailure, failureOf, type Deployment } from './deployment';
import { LIMITS } from './messages';
import type { Decision } from './gates';
import { conflictGate } from './plan-gates';
import { summaryLine } from './presentation';
import { addNote, clip } from './state';
import { markUnavailable, unavailableFailure } from './availability';
import { startWaitsForWindow, waitForWindow } from './window';

/** Step 1: source and target environment names (or keys) → keys. */
export async function resolveEnvironments(d: Deployment): Promise<void> {
  const { req, s } = d;
  d.step('resolve-environments');
  const envs = await act.lookups.resolveEnvironments.executeWithOptions(
    { ...lookups, summary: `Resolve environments ${req.source} → ${req.target}` },
    [{ source: req.source!, target: req.target! }],
  );
  s.source = envs.source;
  s.target = envs.target;
}

/** Step 2: each application's version key in the source. */
export async function resolveVersions(d: Deployment): Promise<void> {
  const { req, s } = d;
  const source = s.source!;
  d.step('resolve-versions');
  const versions = await act.lookups.resolveVersions.executeWithOptions(
    { ...lookups, summary: `Resolve versions in ${source.name}` },
    [{ sourceKey: source.key, sourceName: source.name, apps: req.applications }],
  );
  s.applications = versions.apps;
  for (const note of versions.notes) addNote(s, note);
}

/** Step 3: create the plan, idempotently (its Notes carry a marker of this workflow). */
export async function createPlan(d: Deployment): Promise<void> {
  const { req, s } = d;
  d.step('create-plan');
  const info = workflowInfo();
  const plan = await act.create.createPlan.executeWithOptions(
    { ...create, summary: `Create plan: ${summaryLine(req, s)}` },
    [
      {
        marker: `[lifetime-deploy:${info.workflowId}:${info.firstExecutionRunId}]`,
        notes: req.notes,
        sourceKey: s.source!.key,
        targetKey: s.target!.key,
        apps: s.applications.map((a) => ({ versionKey: a.versionKey, deploymentZoneKey: a.deploymentZoneKey })),
      },
    ],
  );
  s.deploymentKey = plan.key;
  s.planReused = plan.reused;
  s.lifetimeStatus = 'saved';
  s.timings.planCreatedAt = new Date().toISOString();
}

/** Step 4: the plan's details; conflicts open the conflict gate. Returns the gate's decision (approve: none). */
export async function checkConflicts(d: Deployment): Promise<Decision | typeof CONTINUE_AS_NEW> {
  const { s } = d;
  const key = s.deploymentKey!;
  d.step('check-conflicts');
  const details = await d.patiently('plan details', () =>
    act.lookups.getPlan.executeWithOptions({ ...lookups, summary: `Check conflicts of ${key}` }, [key]),
  );
  if (details.detailsUrl) s.detailsUrl = clip(details.detailsUrl, LIMITS.notes);
  if (details.applicationsToRedeploy.length) {
    addNote(s, `LifeTime will redeploy: ${details.applicationsToRedeploy.join(', ')}`);
  }
  const n = details.conflicts.length;
  if (n === 0) {
    s.conflictsCleared = true;
    return 'approve';
  }
  const shown = details.conflicts.slice(0, LIMITS.conflictsShown).map((c) => clip(c));
  if (n > shown.length) shown.push(`… and ${n - shown.length} more (see the plan in LifeTime)`);
  return conflictGate(d, n, shown);
}

/**
 * Step 5: start, with the busy-target policy: wait on durable timers (or fail) while the target runs another plan.
 * Busy is decided by the activity from the target's other plans; a lost reply to `start` is found out by reading
 * our plan, so it is never taken for a busy target.
 */
export async function startPlan(d: Deployment): Promise<void | typeof CONTINUE_AS_NEW> {
  const { req, s } = d;
  const key = s.deploymentKey!;
  const { action, maxWaitMinutes, checkIntervalSeconds } = req.policies.busyTarget;
  if (s.step !== 'wait-for-target') d.step('start');
  for (;;) {
    // A deployment window: start only inside it (a busy target past its closing waits for the next one).
    if (startWaitsForWindow(req) && (await waitForWindow(d, 'start', 'start')) === CONTINUE_AS_NEW)
      return CONTINUE_AS_NEW;
    const continueWithErrors = !!s.approvedConflicts; // approved conflicts: LifeTime must be told to go on anyway
    let r;
    try {
      r = await act.commands.startPlan.executeWithOptions({ ...commands, summary: `Start plan ${key}` }, [
        { key, targetKey: s.target!.key, redeployOutdated: req.redeployOutdated, continueWithErrors },
      ]);
    } catch (err) {
      const f = failureOf(err);
      if (f.type !== 'StartRefused' || !s.approvedConflicts) throw err;
      const n = s.approvedConflicts.length;
      throw new DeploymentFailure(
        'StartRefused',
        `LifeTime refused to start the plan despite the approval of its conflict${n === 1 ? '' : 's'} ` +
          `(${s.approvedConflicts.join('; ')}): ${f.message.replace(/\.+$/, '')}. Solve the conflicts in LifeTime (or deploy the ` +
          'applications they name together), then deploy again; ' +
          (s.planOwned === false ? 'the plan was left in LifeTime (it is not ours).' : 'the plan was deleted.'),
      );
    }
    if (r.started) {
      s.timings.startedAt = new Date().toISOString();
      s.targetUnavailable = undefined;
      if (r.reconciled) addNote(s, r.reconciled);
      return;
    }
    // Maintenance mode / offline: the same policy as a busy target, with LifeTime's reason (availability.ts).
    const why = r.unavailable ? markUnavailable(d, r.unavailable, 'start') : (r.busy ?? 'target busy');
    if (!r.unavailable) s.targetUnavailable = undefined;
    s.busySince ??= new Date().toISOString();
    const waitUntil = Date.parse(s.busySince) + maxWaitMinutes * 60_000;
    if (action === 'fail' || Date.now() + checkIntervalSeconds * 1000 > waitUntil) {
      if (r.unavailable) throw unavailableFailure(d, why, action === 'fail');
      throw new DeploymentFailure(
        'TargetBusy',
        action === 'fail'
          ? `target ${s.target?.name} is busy (busy-target policy: fail): ${why}`
          : `target ${s.target?.name} stayed busy for ${maxWaitMinutes} min: ${why}`,
      );
    }
    if (s.step !== 'wait-for-target') {
      if (!r.unavailable) addNote(s, `target ${s.target?.name} is busy (${why}); waiting up to ${maxWaitMinutes} min`);
      d.step('wait-for-target');
    }
    if (d.shouldContinueAsNew()) return CONTINUE_AS_NEW;
    await sleep(checkIntervalSeconds * 1000, { summary: 'wait for the target to be free' });
  }
}
