/**
 * A release's names: the `promoteRelease` input (applications or pinned versions, a route of environments, the
 * stages that need a go, the deployment policies every stage gets), its state and result, and how a stage's child
 * workflow is named and linked. The release answers the same `approve` / `reject` signals and `state` query as a
 * deployment (messages.ts); its promotion gate is the one gate mechanism (gates.ts).
 */
import { defineQuery } from '@temporalio/workflow';
import { z } from 'zod';
import type { NotificationRecord } from '../notify/event';
import type { ReleaseStatement, SignedSubject } from '../signing/statement';
import {
  AppRequest,
  LIMITS,
  Policies,
  sameName,
  type DecisionRecord,
  type EnvRef,
  type Failure,
  type GateView,
  type Outcome,
} from './messages';

export const RELEASE_WORKFLOW_TYPE = 'promoteRelease';

export const RELEASE_LIMITS = {
  /** Environments in a route (Development → Quality → Production is three). */
  route: 8,
} as const;

const name = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .max(LIMITS.name, { error: `${what} must be at most ${LIMITS.name} characters` })
    .trim()
    .min(1, { error: `${what} must not be empty` });

/** A version pinned for the whole release (from the first environment, or from a manifest). */
export const PinnedApp = z.strictObject({
  key: name('applications[].key'),
  name: name('applications[].name'),
  versionKey: name('applications[].versionKey'),
  versionLabel: z.string().max(LIMITS.name).optional(),
  /** The deployment zone by name: looked up in each target ("" or absent: the target's default zone). */
  zoneName: z.string().max(LIMITS.name).optional(),
  isTestApplication: z.boolean().optional(),
});
export type PinnedApp = z.infer<typeof PinnedApp>;

export const ReleaseRequest = z
  .strictObject({
    /** Applications by name or key, pinned in the route's first environment when the release starts. */
    applications: z
      .array(AppRequest.pick({ app: true }))
      .max(LIMITS.applications, { error: `applications: at most ${LIMITS.applications} in one release` })
      .default([]),
    /** Versions pinned already (a manifest): used as they are, nothing is resolved. */
    pinned: z
      .array(PinnedApp)
      .max(LIMITS.applications, { error: `pinned: at most ${LIMITS.applications} in one release` })
      .optional(),
    /** Environment names or keys, first to last: each consecutive pair is a stage. */
    route: z
      .array(name('route[]'))
      .min(2, { error: 'route must name at least two environments (a source and a target)' })
      .max(RELEASE_LIMITS.route, { error: `route: at most ${RELEASE_LIMITS.route} environments` }),
    /** The stages (by target environment) that wait for a go before their deployment starts. */
    gateBefore: z.array(name('gateBefore[]')).max(RELEASE_LIMITS.route).default([]),
    /** Tag applications with untagged changes in the first environment, and pin the new versions. */
    tagModified: z.boolean().default(false),
    /** Deploy even where a target runs a newer version than the pinned one. */
    allowDowngrade: z.boolean().default(false),
    notes: z
      .string()
      .max(LIMITS.notes, { error: `notes must be at most ${LIMITS.notes} characters` })
      .default(''),
    redeployOutdated: z.boolean().default(false),
    requestedBy: name('requestedBy'),
    /** The deployment policies every stage's deployment gets; approvers, self-approval and the gate deadline also rule the promotion gates. */
    policies: Policies.default(Policies.parse({})),
    searchAttributes: z.boolean().default(true),
    /**
     * The requester's SSH signature over this request (`promote --sign-with`): a SignedRequest, checked by the
     * worker against the allowed-approvers file before anything else (a release that does not verify fails).
     */
    signedRequest: z.unknown().optional(),
  })
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.route.forEach((env, i) => {
      if (seen.has(sameName(env)))
        ctx.addIssue({ code: 'custom', path: ['route', i], message: `${JSON.stringify(env)} is in the route twice` });
      seen.add(sameName(env));
    });
    r.gateBefore.forEach((env, i) => {
      const at = r.route.findIndex((e) => sameName(e) === sameName(env));
      if (at < 1)
        ctx.addIssue({
          code: 'custom',
          path: ['gateBefore', i],
          message: `${JSON.stringify(env)} is not a target in the route (${r.route.slice(1).join(', ')})`,
        });
    });
    if (r.policies.intervention.deployment_prepared === 'window')
      ctx.addIssue({
        code: 'custom',
        path: ['policies', 'intervention', 'deployment_prepared'],
        message: '"window" needs a deployment window, which a release does not take (deploy --window does)',
      });
    const apps = r.pinned?.length ?? r.applications.length;
    if (apps === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['applications'],
        message: 'give at least one application (or a manifest)',
      });
    if (r.pinned?.length && r.applications.length)
      ctx.addIssue({ code: 'custom', path: ['applications'], message: 'give applications or a manifest, not both' });
    const names = new Set<string>();
    (r.pinned?.map((p) => p.name) ?? r.applications.map((a) => a.app ?? '')).forEach((n, i) => {
      if (names.has(sameName(n)))
        ctx.addIssue({
          code: 'custom',
          path: [r.pinned ? 'pinned' : 'applications', i],
          message: `${JSON.stringify(n)} is listed twice`,
        });
      names.add(sameName(n));
    });
  });
export type ReleaseRequestInput = z.input<typeof ReleaseRequest>;
export type ReleaseRequest = z.output<typeof ReleaseRequest>;

/**
 * What a requester's signature over a release covers (`promote --sign-with`), taken from the request: the CLI signs
 * this and the worker verifies against it, so both read the same fields. `terms` is every other field but the
 * signature (policies, notes, downgrade and tagging choices…), so the signed request cannot be sent again under
 * weaker terms.
 */
export function releaseSignatureSubject(r: ReleaseRequest): SignedSubject<ReleaseStatement> {
  const { signedRequest: _signature, requestedBy, route, gateBefore, applications, pinned, ...terms } = r;
  return {
    requestedBy,
    route,
    gateBefore,
    applications: applications.map((a) => a.app ?? ''),
    ...(pinned?.length ? { pinned: pinned.map((p) => ({ key: p.key, name: p.name, versionKey: p.versionKey })) } : {}),
    terms,
  };
}

export type ReleaseStep = 'resolve-route' | 'pin-versions' | 'inspect-target' | 'promotion-gate' | 'stage' | 'done';

/** What a target ran of one application before its stage (absent: not there). */
export interface RunningVersion {
  name: string;
  key: string;
  versionKey?: string;
  versionLabel?: string;
}

export type StageStatus = 'pending' | 'inspecting' | 'gate' | 'deploying' | 'skipped' | 'deployed' | 'stopped';

export interface StageRecord {
  index: number;
  source: EnvRef;
  target: EnvRef;
  status: StageStatus;
  /** The stage's child workflow (deployApplications). */
  workflowId: string;
  outcome?: Outcome;
  deploymentKey?: string;
  /** What the target ran before the stage (for rollback). */
  before?: RunningVersion[];
  /** What the stage put there (the pinned versions it deployed). */
  deployed?: string[];
  /** Applications already at the pinned version. */
  alreadyThere?: string[];
  message?: string;
  failure?: Failure;
  startedAt?: string;
  finishedAt?: string;
  /** LifeTime's deployment time of the stage's plan (start → end). */
  deploymentSeconds?: number;
}

export interface ReleaseState {
  step: ReleaseStep;
  requestedBy: string;
  /** The requester's verified signature over the request (signed requests only). */
  requester?: { principal: string; fingerprint: string };
  route?: EnvRef[];
  pinned: PinnedApp[];
  /** Applications tagged at the start (tagModified): name → new version label. */
  tagged: { name: string; versionLabel: string }[];
  stages: StageRecord[];
  /** The stage being worked on (index into `stages`). */
  current?: number;
  gate?: GateView;
  decisions: DecisionRecord[];
  ignoredNotKept?: number;
  notes: string[];
  timings: { requestedAt: string; finishedAt?: string };
  runs: number;
  outcome?: Outcome;
  failure?: Failure;
  notifications?: NotificationRecord[];
  notificationsNotKept?: number;
}

/** The pinned versions in OutSystems' trigger-manifest format (the CI tooling's file). */
export interface TriggerManifest {
  ApplicationVersions: {
    ApplicationKey: string;
    ApplicationName: string;
    VersionKey: string;
    VersionNumber: string;
    IsTestApplication: boolean;
    DeploymentZoneKey?: string;
    DeploymentZoneName?: string;
  }[];
  EnvironmentDefinitions: { EnvironmentKey: string; EnvironmentName: string; EnvironmentLabel: string }[];
  ConfigurationItems: unknown[];
  DeploymentNotes: string;
}

export interface ReleaseResult {
  outcome: Outcome;
  /** The requester's verified signature over the request (signed requests only). */
  requester?: ReleaseState['requester'];
  route: EnvRef[];
  pinned: PinnedApp[];
  tagged: ReleaseState['tagged'];
  stages: StageRecord[];
  decisions: DecisionRecord[];
  ignoredNotKept?: number;
  notes: string[];
  failure?: Failure;
  notifications?: NotificationRecord[];
  manifest: TriggerManifest;
  durations: { totalSeconds: number };
  timings: ReleaseState['timings'];
}

/** The same `state` query name as a deployment's: a client tells them apart by `stages` in the answer. */
export const releaseStateQuery = defineQuery<ReleaseState>('state');

export const isReleaseState = (s: object): s is ReleaseState => 'stages' in s;

/** The child workflow ID of a stage: derived from the release's ID, so a retried release never starts another. */
export function stageWorkflowId(releaseId: string, index: number, target: string): string {
  const slug = target
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `${releaseId}.stage-${index}-${slug || 'target'}`;
}

/** The pinned versions as a trigger manifest (the EnvironmentLabel is the environment's name). */
export function toManifest(pinned: PinnedApp[], route: EnvRef[], notes: string): TriggerManifest {
  return {
    ApplicationVersions: pinned.map((p) => ({
      ApplicationKey: p.key,
      ApplicationName: p.name,
      VersionKey: p.versionKey,
      VersionNumber: p.versionLabel ?? '',
      IsTestApplication: p.isTestApplication ?? false,
      ...(p.zoneName ? { DeploymentZoneName: p.zoneName } : {}),
    })),
    EnvironmentDefinitions: route.map((e) => ({
      EnvironmentKey: e.key,
      EnvironmentName: e.name,
      EnvironmentLabel: e.name,
    })),
    ConfigurationItems: [],
    DeploymentNotes: notes,
  };
}

/** `releaseManifest`: the versions an environment runs, pinned as a release would pin them. */
export const ManifestRequest = z.strictObject({
  applications: z
    .array(name('--app'))
    .min(1, { error: '--app: give at least one application' })
    .max(LIMITS.applications, { error: `--app: at most ${LIMITS.applications}` }),
  environment: name('--from'),
  notes: z.string().max(LIMITS.notes).default(''),
});
export type ManifestRequestInput = z.input<typeof ManifestRequest>;
