/**
 * Operator-built plans (`planKey`, CLI `--plan`): a plan a person built in LifeTime's UI is taken over. Steps 1–3
 * (environments, versions, create) become one step, reading the plan; steps 4–6 run as for our own plans. The plan
 * is not ours (`planOwned: false`): it is never deleted (cleanup.ts), and aborted on cancel or the deadline only while
 * running and when `operatorPlanOnStop` is `abort`.
 */
import { act, lookups } from './activity-proxies';
import { DeploymentFailure, type Deployment } from './deployment';
import { LIMITS } from './messages';
import { addNote, clip } from './state';

/** Steps 1–3 for `planKey`: the plan's environments and applications (names for display); it must be `saved`. */
export async function readOperatorPlan(d: Deployment): Promise<void> {
  const { req, s } = d;
  const key = req.planKey!;
  d.step('read-plan');
  const plan = await act.lookups.readPlan.executeWithOptions({ ...lookups, summary: `Read plan ${key}` }, [key]);
  s.planOwned = false;
  s.deploymentKey = key;
  s.source = plan.source;
  s.target = plan.target;
  s.applications = plan.apps.slice(0, LIMITS.applications);
  s.lifetimeStatus = plan.status;
  if (plan.detailsUrl) s.detailsUrl = clip(plan.detailsUrl, LIMITS.notes);
  s.timings.planCreatedAt = new Date().toISOString();
  d.vis.update();
  if (plan.status !== 'saved') {
    s.cleanup = `plan ${key} left as it was: ${plan.status} (built in LifeTime, not by this deployment)`;
    throw new DeploymentFailure(
      'PlanNotUsable',
      `plan ${key} is ${plan.status} in LifeTime, not saved: --plan takes over a saved plan only (one nobody has ` +
        'started); the plan was left as it was',
    );
  }
  if (plan.apps.length === 0) {
    throw new DeploymentFailure('PlanNotUsable', `plan ${key} has no applications; the plan was left as it was`);
  }
  addNote(
    s,
    `taking over plan ${key} built in LifeTime (${plan.source.name} → ${plan.target.name}); it is not deleted by this deployment`,
  );
}
