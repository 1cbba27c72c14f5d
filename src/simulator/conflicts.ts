/**
 * Impact analysis, as LifeTime runs it when a plan is validated (`GET /deployments/{key}/`) and started:
 * producer/consumer conflicts from the data set's `requires`, consumers to redeploy, and extension databases
 * still to map in the target.
 */
import type { z } from 'zod';
import { CONFLICT_TYPES, type ApplicationConflict, type MissingDbMapping } from '../lifetime/schemas';
import type { SimApplication, SimDependency, SimModule, SimVersion } from './data';
import { compareVersionLabels } from './util';
import type { World } from './world';

export type ConflictBody = z.input<typeof ApplicationConflict>;
export type MissingDbMappingBody = z.input<typeof MissingDbMapping>;
export interface PlanOperation {
  applicationKey: string;
  versionKey: string;
  /** "" = the target's default zone. */
  zoneKey: string;
}

const moduleOf = (app: SimApplication, key: string | undefined): SimModule =>
  app.modules.find((m) => m.key === key) ?? app.modules[0]!;

/** Human-readable description of a conflict, worded per ConflictType. */
export function conflictMessage(
  type: string,
  c: { app: string; module: string; version: string },
  p: { app: string; module: string; version?: string },
  target: string,
  elements: number,
): string {
  const consumer = `Module '${c.module}' (application '${c.app}' ${c.version})`;
  const producer = `module '${p.module}' of application '${p.app}'`;
  switch (type) {
    case 'Producer Module Missing':
      return `${consumer} requires ${producer}, which does not exist in ${target}. Include '${p.app}' in the deployment plan.`;
    case 'Producer Element Missing':
      return (
        `${consumer} requires ${elements} elements of ${producer} that are missing in '${p.app}' ${p.version ?? ''} ` +
        `in ${target}. Include a newer version of '${p.app}' in the deployment plan.`
      );
    case 'Producer Element Incompatible':
      return `${consumer} uses ${elements} elements of ${producer} whose signature is different in ${target}.`;
    case 'Consumer Module Outdated':
      return `${consumer} will be outdated in ${target} after ${producer} is deployed. Redeploy it.`;
    case 'Newer Producer Module Available':
      return `A newer version of ${producer} than the one ${consumer} was built with exists in ${target}.`;
    case 'IncompatiblePlatformServer':
      return `${consumer} was generated for a Platform Server version that ${target} does not support.`;
    case 'ConsumerModuleMoved':
    case 'ProducerModuleMoved':
      return `${consumer} and ${producer} belong to different applications in ${target} than in the source.`;
    default:
      return `${consumer} has the same name as ${producer} in ${target}.`;
  }
}

export class ImpactAnalysis {
  constructor(private readonly world: World) {}

  /** Every app's version in the target once the plan has run (running versions, overridden by the plan). */
  private finalVersions(ops: PlanOperation[], targetKey: string): Map<string, SimVersion> {
    const out = new Map<string, SimVersion>();
    for (const app of this.world.data.applications) {
      const v = this.world.runningVersion(app, targetKey);
      if (v) out.set(app.key, v);
    }
    for (const op of ops) {
      const found = this.world.version(op.versionKey);
      if (found) out.set(op.applicationKey, found.version);
    }
    return out;
  }

  /** Conflicts that follow from the data: a consumer needs a newer (or any) producer than the target will have. */
  natural(ops: PlanOperation[], targetKey: string): ConflictBody[] {
    const target = this.world.env(targetKey)?.name ?? targetKey;
    const inPlan = new Set(ops.map((o) => o.applicationKey));
    const finals = this.finalVersions(ops, targetKey);
    const out: ConflictBody[] = [];
    for (const [consumerKey, cv] of finals) {
      for (const req of cv.requires) {
        if (!inPlan.has(consumerKey) && !inPlan.has(req.application)) continue;
        const pv = finals.get(req.application);
        if (pv && compareVersionLabels(pv.version, req.minVersion) >= 0) continue;
        out.push(
          this.build(
            pv ? 'Producer Element Missing' : 'Producer Module Missing',
            consumerKey,
            cv,
            req,
            pv,
            inPlan,
            target,
          ),
        );
      }
    }
    return out;
  }

  private build(
    type: string,
    consumerKey: string,
    cv: SimVersion,
    req: Pick<SimDependency, 'application' | 'producerModule' | 'consumerModule' | 'elements'>,
    pv: SimVersion | undefined,
    inPlan: Set<string>,
    target: string,
  ): ConflictBody {
    const consumer = this.world.app(consumerKey)!;
    const producer = this.world.app(req.application)!;
    const cm = moduleOf(consumer, req.consumerModule);
    const pm = moduleOf(producer, req.producerModule);
    const operation = (appKey: string, v: SimVersion | undefined): string =>
      !v ? 'Not in target' : inPlan.has(appKey) ? `Deploy ${v.version}` : 'No Changes';
    return {
      Message: conflictMessage(
        type,
        { app: consumer.name, module: cm.name, version: cv.version },
        { app: producer.name, module: pm.name, version: pv?.version },
        target,
        req.elements,
      ),
      ProducerApplicationOperation: {
        ApplicationKey: producer.key,
        ApplicationVersionKey: pv?.key ?? '',
        DeploymentOperation: operation(producer.key, pv),
      },
      ConsumerApplicationOperation: {
        ApplicationKey: consumer.key,
        ApplicationVersionKey: cv.key,
        DeploymentOperation: operation(consumer.key, cv),
      },
      ModuleConflict: {
        ProducerModuleKey: pm.key,
        ConsumerModuleKey: cm.key,
        TotalRequiredElements: req.elements,
        ConflictType: type,
      },
    };
  }

  /** `count` made-up but realistic conflicts for the plan's apps, cycling through the conflict types from `offset`. */
  synthetic(ops: PlanOperation[], targetKey: string, count: number, offset = 0): ConflictBody[] {
    const target = this.world.env(targetKey)?.name ?? targetKey;
    const inPlan = new Set(ops.map((o) => o.applicationKey));
    const finals = this.finalVersions(ops, targetKey);
    const out: ConflictBody[] = [];
    for (let i = 0; i < count && ops.length > 0; i++) {
      const op = ops[i % ops.length]!;
      const cv = this.world.version(op.versionKey)?.version;
      if (!cv) continue;
      const other =
        this.world.data.applications.find((a) => a.key !== op.applicationKey) ?? this.world.app(op.applicationKey)!;
      const producerKey = cv.requires[0]?.application ?? other.key;
      const type = CONFLICT_TYPES[(i + offset + 1) % CONFLICT_TYPES.length]!;
      const req = { application: producerKey, elements: 2 + (i % 3) };
      out.push(this.build(type, op.applicationKey, cv, req, finals.get(producerKey), inPlan, target));
    }
    return out;
  }

  /** Consumers in the target (outside the plan) of a producer the plan changes: `ApplicationsToRedeploy` (keys). */
  toRedeploy(ops: PlanOperation[], targetKey: string): string[] {
    const inPlan = new Set(ops.map((o) => o.applicationKey));
    const changed = new Set(
      ops
        .filter((o) => {
          const app = this.world.app(o.applicationKey);
          return app && this.world.running(app, targetKey)?.version !== o.versionKey;
        })
        .map((o) => o.applicationKey),
    );
    return this.world.data.applications
      .filter((a) => !inPlan.has(a.key))
      .filter((a) => this.world.runningVersion(a, targetKey)?.requires.some((r) => changed.has(r.application)))
      .map((a) => a.key);
  }

  /** Extension logical databases of the plan's apps that have no mapping in the target yet. */
  missingDbMappings(ops: PlanOperation[], targetKey: string): MissingDbMappingBody[] {
    const env = this.world.env(targetKey);
    if (!env) return [];
    return ops.flatMap((op) =>
      (this.world.app(op.applicationKey)?.modules ?? [])
        .filter((m) => m.kind === 'Extension')
        .flatMap((m) =>
          m.logicalDatabases
            .filter((db) => !env.dbMappings.some((x) => x.extensionKey === m.key && x.logicalDatabase === db))
            .map((db) => ({ ExtensionKey: m.key, ExtensionName: m.name, LogicalDatabase: db })),
        ),
    );
  }
}
