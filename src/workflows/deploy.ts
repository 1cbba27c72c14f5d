/**
 * deployApplications: the six steps of a LifeTime deployment, durable.
 *   1 resolve environments · 2 resolve versions · 3 create plan · 4 conflicts (gate) · 5 start · 6 follow (gates)
 * Cancellation, the deployment deadline and failures end in one place (Deployment.run): a saved plan is deleted,
 * a running plan is aborted and followed to its end. Every ending returns a result; `failed` says why in `failure`.
 */
import { TERMINAL_OUTCOME } from '../lifetime/schemas';
import { describeIssues } from './describe-issues';
import { CONTINUE_AS_NEW, Deployment, DeploymentFailure, type Ended } from './deployment';
import { followPlan } from './follow';
import { DeployRequest, type DeployRequestInput, type DeployResult, type DeployState } from './messages';
import { readOperatorPlan } from './operator-plan';
import { intervene } from './plan-gates';
import { verifyRequester } from './requester';
import { initialState, toResult } from './state';
import { checkConflicts, createPlan, resolveEnvironments, resolveVersions, startPlan } from './steps';
import { hasWindow, planWindow, startWaitsForWindow, waitForWindow } from './window';

export async function deployApplications(raw: DeployRequestInput, resume?: DeployState): Promise<DeployResult> {
  const parsed = DeployRequest.safeParse(raw);
  if (!parsed.success) return invalidRequest(describeIssues(parsed.error.issues, raw));
  const d = new Deployment(parsed.data, resume);
  const ended = await d.run(() => runSteps(d));
  if (ended === CONTINUE_AS_NEW) return d.continueAsNew(raw);
  return d.finish(ended);
}

/** The six steps; a run that continued-as-new skips those its state shows done. */
async function runSteps(d: Deployment): Promise<Ended> {
  const { s } = d;
  if (d.req.signedRequest !== undefined && !s.requester) await verifyRequester(d); // the requester, proven
  if (hasWindow(d.req) && !s.window) await planWindow(d); // the deployment window, shown from the start
  if (d.req.planKey) {
    if (!s.deploymentKey) await readOperatorPlan(d); // 1–3: a plan built in LifeTime (operator-plan.ts)
  } else {
    if (!s.target) await resolveEnvironments(d); // 1
    if (!s.applications.length) await resolveVersions(d); // 2
    if (!s.deploymentKey) await createPlan(d); // 3
  }
  if (!s.conflictsCleared) {
    const decision = await checkConflicts(d); // 4
    if (decision !== 'approve') return decision === 'reject' ? 'rejected' : decision;
  }
  if (!s.timings.startedAt) {
    if (startWaitsForWindow(d.req) && (await waitForWindow(d, 'start')) === CONTINUE_AS_NEW) return CONTINUE_AS_NEW;
    if ((await startPlan(d)) === CONTINUE_AS_NEW) return CONTINUE_AS_NEW; // 5
  }
  return follow(d); // 6
}

/** Step 6: follow the started plan to its end; LifeTime's terminal status decides the outcome. */
async function follow(d: Deployment): Promise<Ended> {
  const end = await followPlan(d, { kind: 'deploy', atIntervention: (info) => intervene(d, info) });
  if (end === CONTINUE_AS_NEW) return end;
  if (end === 'stopped') throw new DeploymentFailure('Unexpected', 'stopped following the plan at an intervention');
  const outcome = TERMINAL_OUTCOME[end];
  if (outcome === 'failed') throw new DeploymentFailure('FinishedWithErrors', `LifeTime finished the plan ${end}`);
  return outcome;
}

/** Nothing happens in LifeTime for a request that fails validation: the result names the fields. */
function invalidRequest(issues: string): DeployResult {
  const s = initialState({ requestedBy: '' }, new Date());
  s.failure = { type: 'InvalidRequest', message: `invalid deployment request: ${issues}` };
  return toResult(s, 'failed', new Date());
}
