/**
 * A signed request (`deploy --sign-with`, `promote --sign-with`): before anything else the worker verifies the
 * requester's signature over the request (a deployment: workflow ID, requester, source, target, applications; a
 * release: workflow ID, requester, route, gates, applications; both: every other field as its terms) against the
 * allowed-approvers file. Verified, the requester is a proven principal and self-approval is checked between proven
 * principals; not verified, the deployment or release ends `failed` (InvalidRequest) before anything is created in
 * LifeTime.
 */
import { log, workflowInfo } from '@temporalio/workflow';
import { verify } from './activity-proxies';
import { DeploymentFailure, type Deployment } from './deployment';
import { describeIssues } from './describe-issues';
import { deploySignatureSubject } from './messages';
import { releaseSignatureSubject, type ReleaseRequest } from './release-messages';
import { SignedRequest, type Verification } from './signed-decision';
import { clip } from './state';

export interface ProvenRequester {
  principal: string;
  fingerprint: string;
}

/** The signed part parsed and verified by `check`; otherwise a DeploymentFailure (InvalidRequest) saying why. */
async function prove(
  signedRequest: unknown,
  check: (payload: SignedRequest) => Promise<Verification>,
): Promise<ProvenRequester> {
  const parsed = SignedRequest.safeParse(signedRequest);
  if (!parsed.success) {
    throw new DeploymentFailure(
      'InvalidRequest',
      `the request's signature is malformed (${clip(describeIssues(parsed.error.issues))}); nothing was done in LifeTime`,
    );
  }
  const v = await check(parsed.data);
  if (!v.verified || !v.principal || !v.fingerprint) {
    throw new DeploymentFailure(
      'InvalidRequest',
      `the request's signature does not verify: ${clip(v.why ?? 'not verified')}; nothing was done in LifeTime`,
    );
  }
  log.info('request signature verified', { principal: v.principal, fingerprint: v.fingerprint });
  return { principal: v.principal, fingerprint: v.fingerprint };
}

export async function verifyRequester(d: Deployment): Promise<void> {
  const { req, s } = d;
  const { source, target } = req;
  if (source === undefined || target === undefined) {
    throw new DeploymentFailure(
      'InvalidRequest',
      'a signed request must name its source and target (a request that takes over a plan cannot be signed); nothing was done in LifeTime',
    );
  }
  s.requester = await prove(req.signedRequest, (payload) =>
    verify.verifyRequest({
      payload,
      expected: { workflowId: workflowInfo().workflowId, ...deploySignatureSubject(req) },
      at: s.timings.requestedAt,
    }),
  );
  d.vis.update();
}

/** The requester of a release, proven by the signature over its request (`at`: when the release was requested). */
export async function verifyReleaseRequester(req: ReleaseRequest, at: string): Promise<ProvenRequester> {
  return prove(req.signedRequest, (payload) =>
    verify.verifyReleaseRequest({
      payload,
      expected: { workflowId: workflowInfo().workflowId, ...releaseSignatureSubject(req) },
      at,
    }),
  );
}
