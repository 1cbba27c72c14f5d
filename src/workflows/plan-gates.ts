/**
 * The two gates of a plan, each decided through the one gate mechanism (policy, person or deadline): the conflict
 * gate before `start`, and the intervention gate at `needs_user_intervention`. Never continues blindly.
 */
import { patched } from '@temporalio/workflow';
import { INTERVENTION_INFOS, type InterventionInfo } from '../lifetime/schemas';
import { act, commands, lookups } from './activity-proxies';
import { continueWhenAvailable } from './availability';
import { deletePlan, sendCommand } from './cleanup';
import { CONTINUE_AS_NEW } from './continue-as-new';
import type { Deployment } from './deployment';
import type { Decision } from './gates';
import { LIMITS, sameName, type DbMappingInput, type MissingMapping } from './messages';
import { INFO_TEXT } from './presentation';
import { addNote } from './state';
import { waitForWindow } from './window';

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
    onReject:
      d.s.planOwned === false
        ? 'leave the plan in LifeTime as it is (saved; built in LifeTime, never deleted); the deployment ends as rejected'
        : 'delete the plan; the deployment ends as rejected',
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

/** patched() id: the `needs_configuration_or_confirmation` gate reads LifeTime's missing database mappings. */
export const DB_MAPPING_GATE = 'db-mapping-gate';

const describeMissing = (m: MissingMapping[]) => m.map((x) => `${x.extension}:${x.logicalDatabase}`).join(', ');

/** LifeTime's missing database mappings of the plan (none where LifeTime cannot tell: older than 11.21.1). */
async function missingMappings(d: Deployment): Promise<MissingMapping[]> {
  const key = d.s.deploymentKey!;
  const r = await d.patiently('missing database mappings', () =>
    act.lookups.missingDbMappings.executeWithOptions({ ...lookups, summary: `Missing DB mappings of ${key}` }, [key]),
  );
  return r.missing.slice(0, LIMITS.mappings);
}

/**
 * An approval's database mappings → LifeTime. Returns why they could not be applied (the gate then stays open):
 * none given while some are missing, an unknown extension, some still missing, or LifeTime's refusal.
 */
async function sendMappings(d: Deployment, given: DbMappingInput[]): Promise<string | undefined> {
  const gate = d.s.gate!;
  const missing = gate.missingMappings ?? [];
  const how = 'approve with --map <extension>:<logical database>=<connection> (or "mappings" in the payload)';
  if (!given.length) return `database mappings still missing: ${describeMissing(missing)}; ${how}`;
  const resolved: { extensionKey: string; logicalDatabase: string; connection: string }[] = [];
  for (const m of given) {
    const ext = missing.find((x) => x.extensionKey === m.extension || sameName(x.extension) === sameName(m.extension));
    if (!ext) return `${m.extension} is not an extension with a missing mapping (${describeMissing(missing)})`;
    resolved.push({ extensionKey: ext.extensionKey, logicalDatabase: m.logicalDatabase, connection: m.connection });
  }
  const uncovered = missing.filter(
    (x) =>
      !resolved.some(
        (r) => r.extensionKey === x.extensionKey && sameName(r.logicalDatabase) === sameName(x.logicalDatabase),
      ),
  );
  if (uncovered.length) return `database mappings still missing: ${describeMissing(uncovered)}; ${how}`;
  const key = d.s.deploymentKey!;
  const r = await act.commands.configureDbMappings.executeWithOptions(
    { ...commands, summary: `Send DB mappings to ${key}` },
    [{ key, mappings: resolved }],
  );
  if (r.configured) return undefined;
  // What LifeTime still misses after the refusal, for the gate.
  gate.missingMappings = await missingMappings(d);
  return `LifeTime refused the mappings: ${r.refusal}`;
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
    let action = isKnownInfo(info) ? d.req.policies.intervention[info] : 'gate';
    let policyReason = `intervention policy for ${info} is "${action}"`;
    if (action === 'window') {
      // Stage 2 goes on when the deployment window opens (the next one, if this one closed during stage 1).
      if ((await waitForWindow(d, 'continue')) === CONTINUE_AS_NEW) return CONTINUE_AS_NEW;
      action = 'continue';
      policyReason += `: the deployment window is open (it opened at ${s.window?.opensAtLocal})`;
    }
    const lastLines = s.log.slice(-3).map((l) => l.message);
    // LifeTime's missing database mappings: shown at the gate, and an approval may carry them.
    const mappings =
      action === 'gate' && info === 'needs_configuration_or_confirmation' && patched(DB_MAPPING_GATE)
        ? await missingMappings(d)
        : undefined;
    let sent = false;
    const decision = await d.gates.decide({
      kind: 'intervention',
      info,
      reason: `${isKnownInfo(info) ? INFO_TEXT[info] : `LifeTime asks for intervention (Info "${info}").`}${
        mappings?.length ? ` Missing database mappings: ${describeMissing(mappings)}.` : ''
      }${lastLines.length ? ` Last log: ${lastLines.join(' / ')}` : ''}`,
      missingMappings: mappings?.length ? mappings : undefined,
      onApprove: mappings?.length
        ? 'send the mappings given with the approval to LifeTime (which then continues)'
        : 'send `continue` to LifeTime',
      onReject: 'send `abort` to LifeTime and wait for the plan to be aborted',
      policy:
        action === 'gate'
          ? undefined
          : {
              decision: action === 'continue' ? 'approve' : 'reject',
              reason: policyReason,
            },
      check: mappings?.length
        ? async (rec) => {
            if (rec.decision !== 'approve') return undefined;
            const r = await sendMappings(d, rec.mappings ?? []);
            sent = r === undefined;
            return r;
          }
        : undefined,
    });
    if (decision === CONTINUE_AS_NEW) return decision;
    if (sent) {
      addNote(s, 'database mappings sent to LifeTime; the plan goes on');
      d.step('polling');
      return true;
    }
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
  // A target in maintenance mode or offline: `continue` stays pending and is sent again (availability.ts).
  if (!r.accepted && r.unavailable && command === 'continue') return continueWhenAvailable(d, r.unavailable);
  if (r.accepted) s.targetUnavailable = undefined;
  s.pendingCommand = undefined;
  if (r.reconciled) addNote(s, r.reconciled);
  if (!r.accepted) {
    addNote(s, `LifeTime refused ${command}: ${r.refusal}`);
    d.vis.update();
  }
  d.step(r.accepted && command === 'abort' ? 'aborting' : 'polling');
  return true;
}
