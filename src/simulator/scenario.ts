/**
 * Scenarios: how plans behave beyond what the data implies (forced conflicts, interventions, outcome,
 * duration), and the opt-in leniencies where real LifeTime is strict (`allowStartWithConflicts`,
 * `savedAfterStart`): without a scenario the simulator is as strict as LifeTime. A scenario applies to every plan (no scope), to plans containing an application (name or
 * key), or to one plan key. For a plan, they are merged in that order — default, applications (in plan
 * order), plan — a later value replaces an earlier one, except `interventions`, which add up.
 * Setting a scenario for a scope replaces the previous one for that scope.
 *
 * Presets (STYLE §14) are named shortcuts: `conflicts`, `needs-intervention`, `warnings`, `errors`,
 * `aborted` (scenarios), `busy-target` (foreign running plans fill the target) and `lost-create-response`
 * (a fault).
 */
import { z } from 'zod';
import { ApplicationConflict, InterventionInfo, PlanEndStatus } from '../lifetime/schemas';
import { fail } from './util';
import type { World } from './world';

export const InterventionSpec = z.strictObject({
  info: InterventionInfo,
  /**
   * Step index before which the plan stops (see `PlanView.steps`), or `prepared` = the end of stage one (the
   * point of no return). Default per info: `deployment_prepared` and `business_process_impact` → prepared;
   * `needs_configuration_or_confirmation` → before "Deploying modules of …"; `deployment_suspended` → while
   * deploying the first module.
   */
  atPhase: z.union([z.number().int().min(1), z.literal('prepared')]).optional(),
});
export type InterventionSpec = z.infer<typeof InterventionSpec>;

export const Outcome = PlanEndStatus;

export const Scenario = z.strictObject({
  /**
   * false: no conflicts at all; true: the natural ones, or one made-up conflict if there are none;
   * n: exactly n (natural first, then made-up); a list: exactly these ApplicationConflict bodies.
   */
  conflicts: z.union([z.boolean(), z.number().int().min(0), z.array(ApplicationConflict)]).optional(),
  /**
   * Whether `start` accepts a plan with conflicts without `ContinueWithErrors=true`. Absent (the default, as in
   * LifeTime): refused (400 naming them) while LifeTime's impact analysis finds conflicts in the data; conflicts a
   * `conflicts` scenario makes up only show in validation. `false` (the `conflicts` preset; also spelled
   * `blockStartOnConflicts: true`): every conflict validation reports refuses `start`, made-up ones included.
   * `true`: opt-in leniency, conflicts never refuse `start`.
   */
  allowStartWithConflicts: z.boolean().optional(),
  /**
   * Opt-in leniency: after a 202 `start` the plan still reports `saved` for one step (`queued`). By default (as in
   * LifeTime) the first status after a 202 `start` is `running`.
   */
  savedAfterStart: z.boolean().optional(),
  interventions: z.array(InterventionSpec).optional(),
  /** How the plan ends (`aborted` = aborted by LifeTime itself). Default finished_successful. */
  outcome: Outcome.optional(),
  /** Total LifeTime time of the plan in ms (replaces the realistic profile's total). */
  durationMs: z.number().positive().optional(),
  /** Step index from which `abort` is refused while running. */
  pointOfNoReturnPhase: z.number().int().min(1).optional(),
});
export type Scenario = z.infer<typeof Scenario>;

export const ScenarioRequest = z
  .strictObject({
    ...Scenario.shape,
    application: z.string().min(1).optional(),
    plan: z.string().min(1).optional(),
    /** Older spelling: `blockStartOnConflicts: b` is `allowStartWithConflicts: !b`. */
    blockStartOnConflicts: z.boolean().optional(),
  })
  .refine((r) => !(r.application && r.plan), { message: 'give either application or plan, not both' })
  .refine((r) => r.blockStartOnConflicts === undefined || r.allowStartWithConflicts === undefined, {
    message: 'give allowStartWithConflicts or the older blockStartOnConflicts, not both',
  })
  .transform(({ blockStartOnConflicts, ...r }) =>
    blockStartOnConflicts === undefined ? r : { ...r, allowStartWithConflicts: !blockStartOnConflicts },
  );
export type ScenarioRequest = z.input<typeof ScenarioRequest>;

export interface ScenarioEntry {
  scope: { kind: 'default' } | { kind: 'application'; key: string; name: string } | { kind: 'plan'; key: string };
  scenario: Scenario;
}

export const PRESET_NAMES = [
  'conflicts',
  'needs-intervention',
  'warnings',
  'errors',
  'aborted',
  'busy-target',
  'lost-create-response',
] as const;
export const PresetRequest = z.strictObject({
  name: z.enum(PRESET_NAMES),
  application: z.string().min(1).optional(),
  plan: z.string().min(1).optional(),
  /** busy-target: the environment to fill (key or name; default: the last environment by order). */
  environment: z.string().min(1).optional(),
  /** needs-intervention: which Info (default needs_configuration_or_confirmation). */
  info: InterventionInfo.optional(),
  /** busy-target: each foreign plan finishes after refusing this many starts (default: never). */
  releaseAfterRefusedStarts: z.number().int().min(1).optional(),
});
export type PresetRequest = z.input<typeof PresetRequest>;

/** The scenario a scenario-type preset stands for (undefined for busy-target and lost-create-response). */
export function presetScenario(p: z.infer<typeof PresetRequest>): Scenario | undefined {
  switch (p.name) {
    case 'conflicts':
      // a plan with conflicts as LifeTime treats it: start is refused unless ContinueWithErrors=true
      return { conflicts: true, allowStartWithConflicts: false };
    case 'needs-intervention':
      return { interventions: [{ info: p.info ?? 'needs_configuration_or_confirmation' }] };
    case 'warnings':
      return { outcome: 'finished_with_warnings' };
    case 'errors':
      return { outcome: 'finished_with_errors' };
    case 'aborted':
      return { outcome: 'aborted' };
    default:
      return undefined;
  }
}

export class ScenarioBook {
  private entries: ScenarioEntry[] = [];

  list(): ScenarioEntry[] {
    return structuredClone(this.entries);
  }
  clear(): void {
    this.entries = [];
  }
  load(entries: ScenarioEntry[]): void {
    this.entries = structuredClone(entries);
  }

  /** Sets (replaces) the scenario of a scope; an unknown application is a 400 that names it. */
  set(req: z.infer<typeof ScenarioRequest>, world: World): ScenarioEntry {
    const { application, plan, ...scenario } = req;
    let scope: ScenarioEntry['scope'] = { kind: 'default' };
    if (application) {
      const app = world.appByRef(application);
      if (!app)
        throw fail(
          400,
          `unknown application ${JSON.stringify(application)}; known: ${world.data.applications.map((a) => a.name).join(', ')}`,
        );
      scope = { kind: 'application', key: app.key, name: app.name };
    } else if (plan) scope = { kind: 'plan', key: plan };
    const same = (s: ScenarioEntry['scope']): boolean =>
      s.kind === scope.kind && ('key' in s ? s.key : '') === ('key' in scope ? scope.key : '');
    this.entries = this.entries.filter((e) => !same(e.scope));
    const entry = { scope, scenario };
    this.entries.push(entry);
    return structuredClone(entry);
  }

  /** The merged scenario for a plan. */
  forPlan(planKey: string, appKeys: string[]): Scenario {
    const pick = (pred: (s: ScenarioEntry['scope']) => boolean): Scenario[] =>
      this.entries.filter((e) => pred(e.scope)).map((e) => e.scenario);
    const layers = [
      ...pick((s) => s.kind === 'default'),
      ...appKeys.flatMap((k) => pick((s) => s.kind === 'application' && s.key === k)),
      ...pick((s) => s.kind === 'plan' && s.key === planKey),
    ];
    const merged: Scenario = {};
    for (const layer of layers) {
      const { interventions, ...rest } = layer;
      Object.assign(merged, rest);
      if (interventions) merged.interventions = [...(merged.interventions ?? []), ...interventions];
    }
    return merged;
  }
}
