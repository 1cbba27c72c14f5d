/**
 * How a deployment reads to a person: its one-line summary, the text of each step and intervention, and the
 * commands that answer a gate. The Temporal UI's current details and the CLI both print from here.
 */
import type { InterventionInfo } from '../lifetime/schemas';
import type { DeployRequest, DeployState, Step } from './messages';

/** One-line summary, also used as the static summary by the starter. */
export function summaryLine(req: DeployRequest, s?: DeployState): string {
  const names = s?.applications.length
    ? s.applications.map((a) => a.name)
    : req.applications.map((a) => a.app ?? a.versionKey ?? '?');
  if (req.planKey && !s?.target) return `Deploy plan ${req.planKey}`;
  const plan = req.planKey ? ` (plan ${req.planKey})` : '';
  return `Deploy ${names.join(', ')}: ${s?.source?.name ?? req.source} → ${s?.target?.name ?? req.target}${plan}`;
}

export const STEP_TEXT: Record<Step, string> = {
  'resolve-environments': 'Resolving the source and target environments',
  'resolve-versions': 'Resolving the application versions to deploy',
  'read-plan': 'Reading the operator-built deployment plan in LifeTime',
  'create-plan': 'Creating the deployment plan in LifeTime',
  'check-conflicts': 'Checking the plan for conflicts',
  'conflict-gate': 'Waiting for a decision: the plan has conflicts',
  start: 'Starting the deployment plan',
  'wait-for-target': 'Waiting for the target environment to be free (another plan, maintenance mode or offline)',
  'wait-for-window': 'Waiting for the deployment window to open',
  polling: 'Deploying: following the plan in LifeTime',
  'intervention-gate': 'Waiting for a decision: LifeTime needs user intervention',
  aborting: 'Aborting the plan in LifeTime',
  cleanup: 'Cleaning up in LifeTime',
  done: 'Finished',
};

/** What each `needs_user_intervention` Info means, in plain words. */
export const INFO_TEXT: Record<InterventionInfo, string> = {
  deployment_prepared:
    'Two-step deployment: stage 1 is done; stage 2 (database scripts, switch versions) waits for a go.',
  needs_configuration_or_confirmation:
    'LifeTime needs configuration (e.g. extension database mappings) or confirmation.',
  business_process_impact: 'The deployment has business-process impact warnings that need checking.',
  deployment_suspended: 'A step failed on the target and the deployment is suspended; read the log before deciding.',
};

export interface AnswerCommand {
  /** Where the command is typed: `CLI`, `Temporal CLI`. */
  where: string;
  command: string;
}

/**
 * The exact commands that answer the open gate of a deployment (the decision payload is `{"by", "reason"}`), as
 * they run in the project's folder: `npx lifetime-deploy`, and the project's Temporal CLI through `npm run temporal`
 * (where the Temporal CLI is installed, `temporal workflow signal …` is the same).
 */
export function answerCommands(workflowId: string): AnswerCommand[] {
  return [
    { where: 'approve', command: `npx lifetime-deploy approve ${workflowId} --by <your name> [--reason <text>]` },
    { where: 'reject', command: `npx lifetime-deploy reject ${workflowId} --by <your name> [--reason <text>]` },
    {
      where: 'Temporal CLI',
      command: `npm run temporal -- workflow signal --workflow-id ${workflowId} --name approve --input '{"by":"<your name>"}'`,
    },
    {
      where: 'Temporal UI',
      command:
        '"Send a Signal" on the workflow page, signal name `approve` (or `reject`), input `{"by": "<your name>"}`',
    },
  ];
}
