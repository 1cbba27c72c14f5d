/**
 * A signed request (`deploy --sign-with`): before step 1 the worker verifies the requester's signature over the
 * request (workflow ID, requester, source, target, applications) against the allowed-approvers file. Verified, the
 * requester is a proven principal and self-approval is checked between proven principals; not verified, the
 * deployment ends `failed` (InvalidRequest) before anything is created in LifeTime.
 */
import { log, workflowInfo } from '@temporalio/workflow';
import { verify } from './activity-proxies';
import { DeploymentFailure, type Deployment } from './deployment';
import { describeIssues } from './describe-issues';
import { SignedRequest } from './signed-decision';
import { clip } from './state';

export async function verifyRequester(d: Deployment): Promise<void> {
  const { req, s } = d;
  const { source, target } = req;
  if (source === undefined || target === undefined) {
    throw new DeploymentFailure(
      'InvalidRequest',
      'a signed request must name its source and target (a request that takes over a plan cannot be signed); nothing was done in LifeTime',
    );
  }
  const parsed = SignedRequest.safeParse(req.signedRequest);
  if (!parsed.success) {
    throw new DeploymentFailure(
      'InvalidRequest',
      `the request's signature is malformed (${clip(describeIssues(parsed.error.issues))}); nothing was done in LifeTime`,
    );
  }
  const v = await verify.verifyRequest({
    payload: parsed.data,
    expected: {
      workflowId: workflowInfo().workflowId,
      requestedBy: req.requestedBy,
      source,
      target,
      applications: req.applications,
    },
    at: s.timings.requestedAt,
  });
  if (!v.verified || !v.principal || !v.fingerprint) {
    throw new DeploymentFailure(
      'InvalidRequest',
      `the request's signature does not verify: ${clip(v.why ?? 'not verified')}; nothing was done in LifeTime`,
    );
  }
  s.requester = { principal: v.principal, fingerprint: v.fingerprint };
  log.info('request signature verified', { principal: v.principal, fingerprint: v.fingerprint });
  d.vis.update();
}
