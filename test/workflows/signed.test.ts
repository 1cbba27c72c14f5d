/**
 * Signed decisions on a real Temporal server, with real keys made by ssh-keygen and the worker's verify activities
 * reading a real allowed-approvers file: only a valid signature by a listed key of the named principal, for this
 * workflow and this gate, unexpired and over the exact reason, counts. Everything else is recorded and ignored.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { decisionLine } from '../../src/cli/follow';
import { releaseStartOptions } from '../../src/cli/release';
import { signDecision, signReleaseRequest, signRequest } from '../../src/signing/sign';
import {
  DeployRequest,
  approveSignal,
  approveUpdate,
  deploySignatureSubject,
  type DeployRequestInput,
  type DeployState,
} from '../../src/workflows/messages';
import type { promoteRelease } from '../../src/workflows/promote';
import {
  RELEASE_WORKFLOW_TYPE,
  ReleaseRequest,
  releaseSignatureSubject,
  releaseStateQuery,
  type ReleaseRequestInput,
  type ReleaseState,
} from '../../src/workflows/release-messages';
import type { SignedDecisionPayload, SignedRequest } from '../../src/workflows/signed-decision';
import { startDevServer } from '../harness';
import { expectNoSecrets, useKeyDir, useOwnTmpdir, type TestKey } from '../signing/keys';
import {
  FAST_POLLING,
  countRequests,
  commandPath,
  maybeRecordHistory,
  request,
  useRigs,
  waitForState,
} from './helpers';

useOwnTmpdir();
const keys = useKeyDir();
let env: TestWorkflowEnvironment;
const rigs = useRigs(startDevServer, (started) => (env = started));
let alice: TestKey;
let bob: TestKey;
let approversFile: string;

beforeAll(() => {
  alice = keys.key('alice');
  bob = keys.key('bob');
  approversFile = keys.write('approvers', `alice ${alice.line}\nbob ${bob.line}\n`);
});

const payroll = (o: Parameters<typeof request>[0] = {}) =>
  request({ applications: [{ app: 'PayrollPortal' }], policies: { approvers: ['alice'] }, ...o });

/** Alice's (or another key's) signature over a deployment request, as `deploy --sign-with` makes it. */
async function signDeploy(key: TestKey, workflowId: string, req: DeployRequestInput): Promise<SignedRequest> {
  const subject = deploySignatureSubject(DeployRequest.parse(req));
  return signRequest({ workflowId, ...subject, expiresInMinutes: 30 }, { path: key.priv, from: '--sign-with' });
}

/** A signed approval payload for the gate `gate` of `workflowId`. */
async function signed(
  key: TestKey,
  o: {
    by: string;
    workflowId: string;
    gate: { id: number; kind: string; runId?: string };
    reason?: string;
    now?: Date;
  },
): Promise<SignedDecisionPayload> {
  const part = await signDecision(
    {
      workflowId: o.workflowId,
      runId: o.gate.runId ?? 'no-run',
      gateId: o.gate.id,
      gateKind: o.gate.kind,
      decision: 'approve',
      principal: o.by,
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
      expiresInMinutes: 30,
      ...(o.now ? { now: o.now } : {}),
    },
    { path: key.priv, from: '--sign-with' },
  );
  return { by: o.by, ...(o.reason !== undefined ? { reason: o.reason } : {}), signed: part };
}

/** Waits until the gate has recorded `n` decisions (verification is a local activity: it takes a moment). */
const decided = (h: Parameters<typeof waitForState>[0], n: number) =>
  waitForState(h, (s: DeployState) => s.decisions.length >= n);

test('worker with an allowed-approvers file: only alice’s valid signature for this gate approves; every other attempt is recorded and ignored with its reason', async () => {
  const r = await rigs.make({}, undefined, undefined, { approversFile });
  const handle = await r.start(payroll());
  const id = handle.workflowId;
  const result = await r.run(async () => {
    const open = await waitForState(handle, (s) => s.gate?.kind === 'conflicts');
    const gate = open.gate!;

    // Unsigned, through the signal (as the UI's signal form sends it): recorded, ignored.
    await handle.signal(approveSignal, { by: 'alice' });
    // Bob's key, claiming to be alice.
    await handle.signal(approveSignal, await signed(bob, { by: 'alice', workflowId: id, gate }));
    // Alice's signature for another workflow, replayed here.
    await handle.signal(approveSignal, await signed(alice, { by: 'alice', workflowId: `${id}-other`, gate }));
    // Alice's signature for another gate of this workflow.
    await handle.signal(approveSignal, await signed(alice, { by: 'alice', workflowId: id, gate: { ...gate, id: 7 } }));
    // Alice's signature for an earlier run with this workflow ID (the same request deployed again).
    const earlierRun = { ...gate, runId: 'an-earlier-run' };
    await handle.signal(approveSignal, await signed(alice, { by: 'alice', workflowId: id, gate: earlierRun }));
    // Expired: issued two hours ago, valid for 30 minutes.
    const old = new Date(Date.now() - 2 * 3600_000);
    await handle.signal(approveSignal, await signed(alice, { by: 'alice', workflowId: id, gate, now: old }));
    // Tampered: the reason changed after signing.
    const tampered = await signed(alice, { by: 'alice', workflowId: id, gate, reason: 'tested in QA' });
    await handle.signal(approveSignal, { ...tampered, reason: 'no need to test' });
    // Bob signs validly, as bob: verified, but bob is not on the approver list.
    await handle.signal(approveSignal, await signed(bob, { by: 'bob', workflowId: id, gate }));

    const ignored = await decided(handle, 8);
    expect(ignored.gate?.id).toBe(gate.id);
    expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(0);

    // The Update refuses an unsigned approval at once (the worker told the gate it has an approvers file).
    const refused = await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(/unsigned: this gate takes signed decisions/);

    // Alice, signed, through the Update: applied.
    const ok = await handle.executeUpdate(approveUpdate, {
      args: [await signed(alice, { by: 'alice', workflowId: id, gate, reason: 'tested in QA' })],
    });
    expect(ok).toMatchObject({ applied: true, by: 'alice', signature: { verified: true, principal: 'alice' } });
    return handle.result();
  });

  expect(result.outcome).toBe('succeeded');
  expect(countRequests(r.sim, 'POST', commandPath('start'))).toBe(1);
  // Signals are verified concurrently: the records come in the order their verification ended.
  expect(result.decisions.filter((d) => d.applied)).toHaveLength(1);
  const why = result.decisions.filter((d) => !d.applied).map((d) => d.ignored ?? '');
  expect(why).toHaveLength(8);
  for (const re of [
    /unsigned: this gate takes signed decisions only/,
    /signature: signature does not verify for principal alice \(the signing key is listed for bob\)/,
    /signature: signed for another workflow/,
    /signature: signed for another gate \(conflicts gate 7; this is conflicts gate 1\)/,
    new RegExp(
      `signature: signed for another run of this workflow ID \\(run an-earlier-run; this is run ${handle.firstExecutionRunId}\\)`,
    ),
    /signature: expired at /,
    /signature: .*(reason|does not verify)/,
    /bob is not on the approver list/,
  ])
    expect(why.filter((w) => re.test(w)).length).toBeGreaterThanOrEqual(1);
  const applied = result.decisions.find((d) => d.applied)!;
  expect(applied.signature).toEqual({ verified: true, principal: 'alice', fingerprint: alice.fingerprint });
  // what status --follow and deploy --wait print for it
  expect(decisionLine(applied)).toContain(`[signed by alice, key ${alice.fingerprint}] → applied`);
  expect(applied.reason).toBe('tested in QA');

  // No key material and no allowed-approvers content in the history.
  const history = JSON.stringify(await env.client.workflow.getHandle(handle.workflowId).fetchHistory());
  expectNoSecrets(history, [alice, bob]);
  expect(history).not.toContain(alice.line.split(' ')[1]);
});

test('the requester cannot approve with their own key; signatures: required without an approvers file verifies nothing', async () => {
  const r = await rigs.make({}, undefined, undefined, { approversFile });
  const handle = await r.start(payroll({ requestedBy: 'alice', policies: { approvers: ['alice', 'bob'] } }));
  const id = handle.workflowId;
  const result = await r.run(async () => {
    const gate = (await waitForState(handle, (s) => s.gate?.kind === 'conflicts')).gate!;
    await handle.signal(approveSignal, await signed(alice, { by: 'alice', workflowId: id, gate }));
    await decided(handle, 1);
    await handle.signal(approveSignal, await signed(bob, { by: 'bob', workflowId: id, gate }));
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded');
  expect(result.decisions[0]).toMatchObject({ by: 'alice', applied: false });
  expect(result.decisions[0]!.ignored).toMatch(/self-approval/);
  expect(result.decisions[1]).toMatchObject({ by: 'bob', applied: true, signature: { principal: 'bob' } });

  // A worker without an allowed-approvers file: a deployment that requires signatures takes none.
  const bare = await rigs.make();
  const h2 = await bare.start(payroll({ policies: { approvers: ['alice'], signatures: 'required' } }), `${id}-bare`);
  const r2 = await bare.run(async () => {
    const gate = (await waitForState(h2, (s) => s.gate?.kind === 'conflicts')).gate!;
    await h2.signal(approveSignal, await signed(alice, { by: 'alice', workflowId: h2.workflowId, gate }));
    await h2.signal(approveSignal, { by: 'alice' });
    await decided(h2, 2);
    await h2.cancel();
    return h2.result();
  });
  expect(r2.decisions.map((d) => d.applied)).toEqual([false, false]);
  const why2 = r2.decisions.map((d) => d.ignored ?? '').sort();
  expect(why2[0]).toMatch(/^signature: the worker has no allowed approvers file \(LIFETIME_DEPLOY_APPROVERS_FILE\)/);
  expect(why2[1]).toMatch(/^signature: unsigned/);
});

test('the first decision at a new gate: an unsigned Update is refused before it enters history (the gate asked the worker about its approvers file before it opened)', async () => {
  const r = await rigs.make({}, undefined, undefined, { approversFile });
  const handle = await r.start(payroll());
  const id = handle.workflowId;
  const result = await r.run(async () => {
    const gate = (await waitForState(handle, (s) => s.gate?.kind === 'conflicts')).gate!;
    const refused = await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(/unsigned: this gate takes signed decisions/);
    await handle.executeUpdate(approveUpdate, { args: [await signed(alice, { by: 'alice', workflowId: id, gate })] });
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded');
  expect(result.decisions.map((d) => [d.by, d.applied])).toEqual([['alice', true]]);
  const history = (await handle.fetchHistory()).events ?? [];
  expect(history.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
  await maybeRecordHistory(env, id, 'signed-gate-approve');
});

test('break-glass-unsigned takes an unsigned decision even when the worker has an approvers file, and says so', async () => {
  const r = await rigs.make({}, undefined, undefined, { approversFile });
  const handle = await r.start(payroll({ policies: { approvers: ['alice'], signatures: 'break-glass-unsigned' } }));
  const result = await r.run(async () => {
    await waitForState(handle, (s) => s.gate?.kind === 'conflicts');
    await handle.signal(approveSignal, { by: 'alice' });
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded');
  expect(result.decisions[0]).toMatchObject({ by: 'alice', applied: true });
  expect(result.decisions[0]!.signature).toBeUndefined();
});

test('a signed request: the requester is a verified principal, her own signed approval is self-approval; a request signed with another key is refused before LifeTime', async () => {
  const r = await rigs.make({}, undefined, undefined, { approversFile });
  const id = `wf-signed-request-${r.taskQueue}`;
  const req = payroll({ requestedBy: 'alice', policies: { approvers: ['alice', 'bob'] } });
  const signedRequest = await signDeploy(alice, id, req);
  const handle = await r.start({ ...req, signedRequest }, id);
  // Bob's key, claiming the request is alice's: refused before anything is created in LifeTime.
  const forged = await signDeploy(bob, `${id}-forged`, req);
  const h2 = await r.start({ ...req, signedRequest: forged }, `${id}-forged`);
  // Self-approval allowed: alice's own signed approval counts.
  const selfId = `${id}-self`;
  // (Same target as the first: it waits for it to be free, checking every second.)
  const selfReq = payroll({
    requestedBy: 'alice',
    policies: {
      approvers: ['alice'],
      allowSelfApproval: true,
      busyTarget: { action: 'wait', maxWaitMinutes: 10, checkIntervalSeconds: 1 },
    },
  });
  const selfSigned = await signDeploy(alice, selfId, selfReq);
  const h3 = await r.start({ ...selfReq, signedRequest: selfSigned }, selfId);
  // A hostile signature: 1 MiB of nonsense, with a key name of 100,000 characters.
  const junk = { principal: 'a'.repeat(1 << 20), ['k'.repeat(100_000)]: 1 };
  const h4 = await r.start({ ...req, signedRequest: junk }, `${id}-junk`);
  // Alice's signature over the request, sent again under weaker terms (self-approval allowed, bob no approver).
  const weakerId = `${id}-weaker`;
  const weakerSig = await signDeploy(alice, weakerId, req);
  const h5 = await r.start(
    { ...req, policies: { ...req.policies, approvers: ['alice'], allowSelfApproval: true }, signedRequest: weakerSig },
    weakerId,
  );
  const [result, r2, r3, r4, r5] = await r.run(async () => {
    const gate = (await waitForState(handle, (s) => s.gate?.kind === 'conflicts')).gate!;
    await handle.signal(approveSignal, await signed(alice, { by: 'alice', workflowId: id, gate }));
    await decided(handle, 1);
    await handle.signal(approveSignal, await signed(bob, { by: 'bob', workflowId: id, gate }));
    const selfGate = (await waitForState(h3, (s) => s.gate?.kind === 'conflicts')).gate!;
    await h3.signal(approveSignal, await signed(alice, { by: 'alice', workflowId: selfId, gate: selfGate }));
    return Promise.all([handle.result(), h2.result(), h3.result(), h4.result(), h5.result()]);
  });
  expect(r5.outcome).toBe('failed');
  expect(r5.failure?.type).toBe('InvalidRequest');
  expect(r5.failure?.message).toMatch(
    /^the request's signature does not verify: signature does not verify for principal alice \(the signed text differs.*nothing was done in LifeTime$/,
  );
  expect(r5.deploymentKey).toBeUndefined();
  expect(r4.outcome).toBe('failed');
  expect(r4.failure?.type).toBe('InvalidRequest');
  expect(r4.failure?.message).toMatch(/^the request's signature is malformed \(principal: principal must be at most/);
  expect(r4.failure!.message.length).toBeLessThan(1200);
  expect(r3.outcome).toBe('succeeded');
  expect(r3.requester?.principal).toBe('alice');
  expect(r3.decisions).toEqual([expect.objectContaining({ by: 'alice', applied: true })]);
  expect(result.outcome).toBe('succeeded');
  expect(result.requester).toEqual({ principal: 'alice', fingerprint: alice.fingerprint });
  expect(result.decisions[0]).toMatchObject({ by: 'alice', applied: false });
  expect(result.decisions[0]!.ignored).toBe(
    `not allowed: self-approval (alice requested this deployment, signed with key ${alice.fingerprint})`,
  );
  expect(result.decisions[1]).toMatchObject({ by: 'bob', applied: true });

  expect(r2.outcome).toBe('failed');
  expect(r2.failure?.type).toBe('InvalidRequest');
  expect(r2.failure?.message).toMatch(/^the request's signature does not verify: .*nothing was done in LifeTime$/);
  expect(r2.requester).toBeUndefined();
  expect(r2.deploymentKey).toBeUndefined();
  // Two plans in all: the forged, malformed and weakened requests created none.
  expect(countRequests(r.sim, 'POST', /^\/lifetimeapi\/rest\/v2\/deployments\/?$/)).toBe(2);
});

test('a release’s promotion gate takes signed decisions like a deployment’s: unsigned ignored, alice’s signature applied', async () => {
  const r = await rigs.make({}, undefined, undefined, { approversFile });
  const id = `release-signed-${r.taskQueue}`;
  // EmployeeBackoffice goes to Production without conflicts: the promotion gate is the only gate.
  const req: ReleaseRequestInput = {
    applications: [{ app: 'EmployeeBackoffice' }],
    route: ['Development', 'Production'],
    gateBefore: ['Production'],
    requestedBy: 'ci-bot',
    policies: { polling: FAST_POLLING, approvers: ['alice'] },
  };
  const handle = await env.client.workflow.start<typeof promoteRelease>(
    RELEASE_WORKFLOW_TYPE,
    releaseStartOptions(req, r.taskQueue, id),
  );
  const plansToProduction = () => r.sim.plans().filter((p) => p.targetEnvironmentName === 'Production').length;
  const result = await r.run(async () => {
    const gateOpen = async (pred: (s: ReleaseState) => boolean) => {
      for (;;) {
        const s = await handle.query(releaseStateQuery);
        if (pred(s)) return s;
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const gate = (await gateOpen((s) => s.gate?.kind === 'promotion')).gate!;
    expect(gate.runId).toBe(handle.firstExecutionRunId);
    // Unsigned, as the UI's signal form sends it; then bob's key claiming alice.
    await handle.signal(approveSignal, { by: 'alice' });
    await handle.signal(approveSignal, await signed(bob, { by: 'alice', workflowId: id, gate }));
    await gateOpen((s) => s.decisions.length >= 2);
    expect(plansToProduction()).toBe(0);
    await handle.signal(approveSignal, await signed(alice, { by: 'alice', workflowId: id, gate, reason: 'go' }));
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded');
  expect(plansToProduction()).toBe(1);
  expect(result.decisions.map((d) => [d.by, d.applied])).toEqual([
    ['alice', false],
    ['alice', false],
    ['alice', true],
  ]);
  expect(result.decisions[0]!.ignored).toMatch(/unsigned: this gate takes signed decisions only/);
  expect(result.decisions[1]!.ignored).toMatch(/signature does not verify for principal alice/);
  expect(result.decisions[2]!.signature).toEqual({
    verified: true,
    principal: 'alice',
    fingerprint: alice.fingerprint,
  });
});

test('a signed release request: the requester is proven and cannot approve her own promotion; a request signed for another route is refused before LifeTime', async () => {
  const r = await rigs.make({}, undefined, undefined, { approversFile });
  const id = `release-signed-request-${r.taskQueue}`;
  const req: ReleaseRequestInput = {
    applications: [{ app: 'EmployeeBackoffice' }],
    route: ['Development', 'Production'],
    gateBefore: ['Production'],
    requestedBy: 'alice',
    policies: { polling: FAST_POLLING, approvers: ['alice', 'bob'] },
  };
  const sign = (workflowId: string, route: string[]) =>
    signReleaseRequest(
      { workflowId, ...releaseSignatureSubject(ReleaseRequest.parse(req)), route, expiresInMinutes: 30 },
      { path: alice.priv, from: '--sign-with' },
    );
  const start = async (workflowId: string, signedRequest: unknown, terms: Partial<ReleaseRequestInput> = {}) =>
    env.client.workflow.start<typeof promoteRelease>(
      RELEASE_WORKFLOW_TYPE,
      releaseStartOptions({ ...req, ...terms, signedRequest }, r.taskQueue, workflowId),
    );
  // Signed by alice for Development → Quality, sent for Development → Production.
  const otherRoute = await start(`${id}-tampered`, await sign(`${id}-tampered`, ['Development', 'Quality']));
  // A hostile signature: 1 MiB of nonsense, with a key name of 100,000 characters.
  const junk = await start(`${id}-junk`, { principal: 'a'.repeat(1 << 20), ['k'.repeat(100_000)]: 1 });
  // Signed as it is, sent again allowing self-approval and downgrades.
  const weaker = await start(`${id}-weaker`, await sign(`${id}-weaker`, req.route), {
    policies: { ...req.policies, allowSelfApproval: true },
    allowDowngrade: true,
  });
  const handle = await start(id, await sign(id, req.route));
  const [tampered, malformed, weakened, result] = await r.run(async () => {
    const refused = await otherRoute.result();
    const junkResult = await junk.result();
    const weakerResult = await weaker.result();
    let gate: ReleaseState['gate'];
    for (;;) {
      gate = (await handle.query(releaseStateQuery)).gate;
      if (gate?.kind === 'promotion') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect((await handle.query(releaseStateQuery)).requester).toEqual({
      principal: 'alice',
      fingerprint: alice.fingerprint,
    });
    await handle.signal(approveSignal, await signed(alice, { by: 'alice', workflowId: id, gate }));
    await handle.signal(approveSignal, await signed(bob, { by: 'bob', workflowId: id, gate }));
    return [refused, junkResult, weakerResult, await handle.result()];
  });
  expect(malformed.outcome).toBe('failed');
  expect(malformed.failure?.type).toBe('InvalidRequest');
  expect(malformed.failure?.message).toMatch(
    /^the request's signature is malformed \(principal: principal must be at most/,
  );
  expect(malformed.failure!.message.length).toBeLessThan(1200);
  expect(malformed.stages).toEqual([]);
  expect(tampered.outcome).toBe('failed');
  expect(tampered.failure?.type).toBe('InvalidRequest');
  expect(tampered.failure?.message).toMatch(
    /^the request's signature does not verify: signature does not verify for principal alice .*nothing was done in LifeTime$/,
  );
  expect(tampered.requester).toBeUndefined();
  expect(tampered.stages).toEqual([]);
  expect(weakened.outcome).toBe('failed');
  expect(weakened.failure?.message).toMatch(
    /^the request's signature does not verify: signature does not verify for principal alice \(the signed text differs/,
  );
  expect(weakened.stages).toEqual([]);

  expect(result.outcome).toBe('succeeded');
  expect(result.requester).toEqual({ principal: 'alice', fingerprint: alice.fingerprint });
  expect(result.decisions.map((d) => [d.by, d.applied])).toEqual([
    ['alice', false],
    ['bob', true],
  ]);
  expect(result.decisions[0]!.ignored).toBe(
    `not allowed: self-approval (alice requested this release, signed with key ${alice.fingerprint})`,
  );
  // One plan in all: the tampered, malformed and weakened requests created none.
  expect(r.sim.plans()).toHaveLength(1);
});
