/**
 * The product's custom search attributes: the names operators filter on in the Temporal UI
 * (e.g. `LifeTimeGate = "conflicts" AND LifeTimeTarget = "Production"`). The worker registers them,
 * the test servers are started with them, and the workflow upserts them.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const searchAttributes = {
  /**
   * LifeTime's DeploymentStatus of the plan (saved, running, needs_user_intervention, …); `none` before a plan
   * exists, `deleted` once we deleted it.
   */
  status: defineSearchAttributeKey('LifeTimeStatus', SearchAttributeType.KEYWORD),
  /** Application names in the plan. */
  applications: defineSearchAttributeKey('LifeTimeApplications', SearchAttributeType.KEYWORD_LIST),
  /** Source and target environment names. */
  source: defineSearchAttributeKey('LifeTimeSource', SearchAttributeType.KEYWORD),
  target: defineSearchAttributeKey('LifeTimeTarget', SearchAttributeType.KEYWORD),
  /** LifeTime deployment plan key. */
  deploymentKey: defineSearchAttributeKey('LifeTimeDeploymentKey', SearchAttributeType.KEYWORD),
  /** The open gate: `none`, `conflicts`, `intervention` or (on a release) `promotion`. */
  gate: defineSearchAttributeKey('LifeTimeGate', SearchAttributeType.KEYWORD),
  /** Final outcome once the workflow ends (succeeded, failed, rejected, …). */
  outcome: defineSearchAttributeKey('LifeTimeOutcome', SearchAttributeType.KEYWORD),
  /** Who asked for the deployment. */
  requestedBy: defineSearchAttributeKey('LifeTimeRequestedBy', SearchAttributeType.KEYWORD),
  /** The release a workflow belongs to: a release's own ID, and on each stage's deployment its release's ID. */
  release: defineSearchAttributeKey('LifeTimeRelease', SearchAttributeType.KEYWORD),
  /** A release's current stage (`2/2 Quality → Production`), or `done`. */
  stage: defineSearchAttributeKey('LifeTimeStage', SearchAttributeType.KEYWORD),
} as const;

export const allSearchAttributeKeys = Object.values(searchAttributes);
