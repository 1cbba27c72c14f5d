/**
 * The two gates of a plan, each decided through the one gate mechanism (policy, person or deadline): the conflict
 * gate before `start`, and the intervention gate at `needs_user_intervention`. Never continues blindly.
 */
import { INTERVENTION_INFOS, type InterventionInfo } from '../lifetime/schemas';
import { deletePlan, sendCommand } from './cleanup';
import { CONTINUE_AS_NEW } from './continue-as-new';
import type { Deployment } from './deployment';
import type { Decision } from './gates';
import { INFO_TEXT } from './presentation';
import { addNote } from './state';

/** Step 4's gate: a plan with `n` conflicts (`conflicts`: those shown) starts only on approval; on reject it is deleted. */
export async function conflictGate(
  d: Deployment,
  n: number,
  conflicts: string[],
): Promise<Decision | typeof CONTINUE_AS_NEW> {
  const reason = `LifeTime reports ${n} conflict${n === 1 ? '' : 's'} in the plan for ${d.s.target?.name}.`;
  const decision = await d.gates.decide({
    kind: 'conflicts',
    reason,
    conflicts,
    onApprove: 'start the plan despite the conflicts',
    onReject: 'delete the plan; the deployment ends as rejected',
    policy:
      d.req.policies.conflicts === 'reject'
        ? { decision: 'reject', reason: `conflicts policy is "reject": ${reason}` }
        : undefined,
  });
  if (decision === 'reject') await deletePlan(d);
  if (decision === 'approve') {
    d.s.conflictsCleared = true;
    d.s.approvedConflicts = conflicts;
  }
  return decision;
}

const isKnownInfo = (info: string): info is InterventionInfo =>
  (INTERVENTION_INFOS as readonly string[]).includes(info);

/**
 * Step 6's gate: `needs_user_intervention`, by the policy for its Info (gate, continue or abort; an unknown Info
 * always asks a person). Approve sends `continue`, reject sends `abort`; a refusal by LifeTime is noted. A decided
 * command whose reply was lost (or that could not be sent) is kept and sent again while the plan still waits; the
 * activity reads the plan first, so a command that took effect is not sent twice.
 */
export async function intervene(d: Deployment, info: string): Promise<boolean | typeof CONTINUE_AS_NEW> {
  const { s } = d;
  let command = s.pendingCommand;
  if (!command) {
    const action = isKnownInfo(info) ? d.req.policies.intervention[info] : 'gate';
    const lastLines = s.log.slice(-3).map((l) => l.message);
    const decision = await d.gates.decide({
      kind: 'intervention',
      info,
      reason: `${isKnownInfo(info) ? INFO_TEXT[info] : `LifeTime asks for intervention (Info "${info}").`}${
        lastLines.length ? ` Last log: ${lastLines.join(' / ')}` : ''
      }`,
      onApprove: 'send `continue` to LifeTime',
      onReject: 'send `abort` to LifeTime and wait for the plan to be aborted',
      policy:
        action === 'gate'
          ? undefined
          : {
              decision: action === 'continue' ? 'approve' : 'reject',
              reason: `intervention policy for ${info} is "${action}"`,
            },
    });
    if (decision === CONTINUE_AS_NEW) return decision;
    command = decision === 'approve' ? 'continue' : 'abort';
  }
  s.pendingCommand = command;
  let r;
  try {
    r = await sendCommand(d, command);
  } catch (err) {
    d.unreadable(command, err); // LifeTime unreachable: the next poll tells whether the command is still needed
    return true;
  }
  d.readable();
  s.pendingCommand = undefined;
  if (r.reconciled) addNote(s, r.reconciled);
  if (!r.accepted) {
    addNote(s, `LifeTime refused ${command}: ${r.refusal}`);
    d.vis.update();
  }
  d.step(r.accepted && command === 'abort' ? 'aborting' : 'polling');
  return true;
}
