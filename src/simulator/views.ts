/**
 * What plans look like from outside: the LifeTime bodies (Deployment_v2, DeploymentData_v2, the details and
 * status responses; typed as the zod input of the shared wire schemas) and the admin `PlanView`.
 */
import type { z } from 'zod';
import {
  NEVER_DATE,
  type Deployment,
  type DeploymentData,
  type DeploymentDetails,
  type DeploymentStatus,
  type DeploymentStatusResponse,
} from '../lifetime/schemas';
import type { ConflictBody } from './conflicts';
import type { LogEntry, PlanRecord } from './engine';
import type { StoredPlan } from './plans';
import type { World } from './world';

export type DeploymentBody = z.input<typeof Deployment>;
export type DeploymentDataBody = z.input<typeof DeploymentData>;
export type DetailsBody = z.input<typeof DeploymentDetails>;
export type StatusBody = z.input<typeof DeploymentStatusResponse>;

/** A plan as the admin API and the handle show it. */
export interface PlanView {
  key: string;
  notes: string;
  sourceEnvironmentKey: string;
  sourceEnvironmentName: string;
  targetEnvironmentKey: string;
  targetEnvironmentName: string;
  status: DeploymentStatus;
  info: string;
  started: boolean;
  /** Injected through `POST /_sim/plans`. */
  foreign: boolean;
  /** A foreign plan that only moves when advanced, aborted or released. */
  held: boolean;
  /** false: a "Tag & Deploy" plan; LifeTime refuses every command on it through the API. */
  startableByApi: boolean;
  applications: {
    applicationKey: string;
    applicationName: string;
    versionKey: string;
    versionLabel: string;
    zoneKey: string;
  }[];
  applicationVersionKeys: string[];
  createdAt: string;
  startedAt?: string;
  abortedAt?: string;
  finishedAt?: string;
  /** The current step (index into `steps`), or null before start. */
  step: { index: number; id: string } | null;
  steps: { index: number; id: string; status: DeploymentStatus; durationMs: number }[];
  pointOfNoReturn: number;
  pendingInterventions: { info: string; at: number }[];
  conflicts?: number;
  applicationsToRedeploy?: string[];
  log: LogEntry[];
}

const person = (p: { name: string; username: string } | undefined): [string, string] => [
  p?.name ?? '',
  p?.username ?? '',
];

export class Views {
  constructor(
    private readonly world: World,
    private readonly origin: () => string,
  ) {}

  private label(versionKey: string): string {
    return this.world.version(versionKey)?.version.version ?? '';
  }

  private common(plan: PlanRecord): DeploymentDataBody {
    const [createdBy, createdByUsername] = person(plan.createdBy);
    const [startedBy, startedByUsername] = person(plan.startedBy);
    const [abortedBy, abortedByUsername] = person(plan.abortedBy);
    return {
      Key: plan.key,
      SourceEnvironmentKey: plan.source,
      TargetEnvironmentKey: plan.target,
      Notes: plan.notes,
      CreatedOn: plan.createdOn,
      CreatedBy: createdBy,
      CreatedByUsername: createdByUsername,
      SavedOn: plan.savedOn,
      SavedBy: createdBy,
      SavedByUsername: createdByUsername,
      StartedOn: plan.startedOn ?? NEVER_DATE,
      StartedBy: startedBy,
      StartedByUsername: startedByUsername,
      AbortedOn: plan.abortedOn ?? NEVER_DATE,
      AbortedBy: abortedBy,
      AbortedByUsername: abortedByUsername,
    };
  }

  /** `Deployment_v2` (list items and `Deployment` in the details). */
  deployment(plan: PlanRecord): DeploymentBody {
    return {
      ...this.common(plan),
      DetailsURL: `${this.origin()}/lifetime/DeploymentPlan_Edit.aspx?DeploymentPlanKey=${plan.key}`,
      ApplicationOperations: plan.operations.map((o) => ({
        ApplicationKey: o.applicationKey,
        ApplicationVersionKey: o.versionKey,
        DeploymentOperation: `Deploy ${this.label(o.versionKey)}`,
        DeploymentZoneKey: o.zoneKey,
      })),
    };
  }

  /** `DeploymentData_v2` (response of PUT): operations carry only version and zone keys. */
  deploymentData(plan: PlanRecord): DeploymentDataBody {
    return {
      ...this.common(plan),
      ApplicationOperations: plan.operations.map((o) => ({
        ApplicationVersionKey: o.versionKey,
        DeploymentZoneKey: o.zoneKey,
      })),
    };
  }

  details(plan: PlanRecord, v: { conflicts: ConflictBody[]; redeploy: string[] }): DetailsBody {
    return {
      Deployment: this.deployment(plan),
      ApplicationsToDeploy: [],
      ApplicationsToRedeploy: v.redeploy,
      ApplicationConflicts: v.conflicts,
      ModulesToDelete: [],
    };
  }

  status(plan: PlanRecord): StatusBody {
    return {
      DeploymentStatus: plan.status,
      Info: plan.status === 'needs_user_intervention' ? plan.info : '',
      DeploymentLog: plan.log.map((l) => ({ Instant: l.instant, Message: l.message, Type: l.type })),
    };
  }

  plan(plan: StoredPlan): PlanView {
    const env = (k: string): string => this.world.env(k)?.name ?? k;
    const step = plan.steps[plan.stepIndex];
    return {
      key: plan.key,
      notes: plan.notes,
      sourceEnvironmentKey: plan.source,
      sourceEnvironmentName: env(plan.source),
      targetEnvironmentKey: plan.target,
      targetEnvironmentName: env(plan.target),
      status: plan.status,
      info: plan.info,
      started: plan.started,
      foreign: plan.foreign,
      held: Boolean(plan.held),
      startableByApi: !plan.tagAndDeploy,
      applications: plan.operations.map((o) => ({
        applicationKey: o.applicationKey,
        applicationName: this.world.app(o.applicationKey)?.name ?? '',
        versionKey: o.versionKey,
        versionLabel: this.label(o.versionKey),
        zoneKey: o.zoneKey,
      })),
      applicationVersionKeys: plan.operations.map((o) => o.versionKey),
      createdAt: plan.createdOn,
      startedAt: plan.startedOn,
      abortedAt: plan.abortedOn,
      finishedAt: plan.finishedOn,
      step: step ? { index: plan.stepIndex, id: step.id } : null,
      steps: plan.steps.map((s, index) => ({ index, id: s.id, status: s.status, durationMs: s.durationMs })),
      pointOfNoReturn: plan.pointOfNoReturn,
      pendingInterventions: plan.interventions.map((i) => ({ ...i })),
      conflicts: plan.conflicts?.length,
      applicationsToRedeploy: plan.redeploy,
      log: plan.log.map((l) => ({ ...l })),
    };
  }
}
