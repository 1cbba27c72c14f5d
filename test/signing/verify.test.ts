/**
 * Verification in the worker, with real keys and real signatures (ssh-keygen -Y sign / verify): what counts, what is
 * refused and why, a key removed from the file, and that no result or error ever carries private key material.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createVerifyActivities } from '../../src/activities/verify';
import { signDecision, signRequest, signStatement } from '../../src/signing/sign';
import { SshKeygenUnavailableError } from '../../src/signing/ssh-keygen';
import { decisionStatement } from '../../src/signing/statement';
import { Verifier, type VerifyDecisionInput } from '../../src/signing/verify';
import type { SignedDecision, SignedDecisionPayload, Verification } from '../../src/workflows/signed-decision';
import { expectNoSecrets, useKeyDir, useOwnTmpdir, type TestKey } from './keys';

useOwnTmpdir(); // and every sign and verify here removes its private temp folder
const keys = useKeyDir();
let alice: TestKey;
let bob: TestKey;
let carol: TestKey;
let mallory: TestKey;
let approvers: string;
/** Every result and error message of this file, checked for private key material at the end. */
const seen: string[] = [];

const WF = 'deploy-employeebackoffice-development-to-production-1a2b3c4d5e';
const RUN = '0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b';
const expected = { workflowId: WF, runId: RUN, gateId: 1, gateKind: 'conflicts', decision: 'approve' } as const;
const listing = (...lines: string[]) => `# approvers\n${lines.join('\n')}\n`;

beforeAll(() => {
  alice = keys.key('alice');
  bob = keys.key('bob');
  carol = keys.key('carol', { type: 'rsa' });
  mallory = keys.key('mallory'); // in no file
  approvers = keys.write(
    'approvers',
    listing(`alice ${alice.line}`, `bob ${bob.line} bob's laptop`, `carol@example.com ${carol.line}`),
  );
});

afterAll(() => {
  expectNoSecrets(seen.join('\n'), [alice, bob, carol, mallory]);
});

/** A decision signed with `key` as `principal`, as the CLI makes it (30 minutes, issued now unless `now`). */
async function signed(
  key: TestKey,
  over: Partial<{
    principal: string;
    reason: string;
    workflowId: string;
    runId: string;
    gateId: number;
    gateKind: string;
  }> = {},
  decision: 'approve' | 'reject' = 'approve',
  opts: { now?: Date; minutes?: number } = {},
): Promise<SignedDecisionPayload> {
  const principal = over.principal ?? key.name;
  const reason = 'reason' in over ? over.reason : 'checked with the HR team';
  const s = await signDecision(
    {
      workflowId: over.workflowId ?? WF,
      runId: over.runId ?? RUN,
      gateId: over.gateId ?? 1,
      gateKind: over.gateKind ?? 'conflicts',
      decision,
      principal,
      reason,
      expiresInMinutes: opts.minutes ?? 30,
      now: opts.now,
    },
    { path: key.priv, from: '--sign-with' },
  );
  return { by: principal, ...(reason !== undefined ? { reason } : {}), signed: s };
}

async function verify(
  payload: unknown,
  exp: Partial<VerifyDecisionInput['expected']> = {},
  at = new Date().toISOString(),
  verifier = new Verifier({ approversFile: approvers }),
): Promise<Verification> {
  const r = await verifier.verifyDecision({ payload, expected: { ...expected, ...exp }, at });
  seen.push(JSON.stringify(r));
  return r;
}

describe('what counts', () => {
  test("alice's signature for this workflow, gate and decision → verified, with her principal and key fingerprint", async () => {
    const payload = await signed(alice);
    expect(payload.signed!.signature).toMatch(/^-----BEGIN SSH SIGNATURE-----\n/);
    expect(await verify(payload)).toEqual({ verified: true, principal: 'alice', fingerprint: alice.fingerprint });
  });

  test('an RSA key and an e-mail principal; a reject; no reason; a multi-line reason', async () => {
    const c = await signed(carol, { principal: 'carol@example.com' });
    expect(await verify(c)).toEqual({ verified: true, principal: 'carol@example.com', fingerprint: carol.fingerprint });
    const r = await signed(alice, { reason: 'not now\nrelease freeze' }, 'reject');
    expect(await verify(r, { decision: 'reject' })).toMatchObject({ verified: true, principal: 'alice' });
    const n = await signed(bob, { reason: undefined });
    expect(n.reason).toBeUndefined();
    expect(await verify(n)).toMatchObject({ verified: true, principal: 'bob', fingerprint: bob.fingerprint });
  });

  test('within the clock skew before issue, and up to the expiry instant', async () => {
    const now = new Date();
    const payload = await signed(alice, {}, 'approve', { now, minutes: 10 });
    const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
    expect(await verify(payload, {}, at(-4 * 60_000))).toMatchObject({ verified: true });
    expect(await verify(payload, {}, at(10 * 60_000))).toMatchObject({ verified: true });
  });
});

describe('what does not count, and why', () => {
  test('unsigned {"by":"alice"} → unsigned', async () => {
    expect(await verify({ by: 'alice' })).toEqual({ verified: false, why: 'unsigned' });
    expect(await verify({ by: 'alice', reason: 'trust me' })).toEqual({ verified: false, why: 'unsigned' });
  });

  test("bob's key claiming alice → does not verify for alice (the key is bob's)", async () => {
    const payload = await signed(bob, { principal: 'alice' });
    expect(await verify(payload)).toEqual({
      verified: false,
      why: 'signature does not verify for principal alice (the signing key is listed for bob)',
    });
  });

  test('a key that is in no file → does not verify', async () => {
    const payload = await signed(mallory, { principal: 'alice' });
    expect(await verify(payload)).toEqual({
      verified: false,
      why: 'signature does not verify for principal alice (the signing key is not in the allowed approvers file)',
    });
  });

  test("alice's valid signature replayed at another gate or another workflow → ignored, saying so", async () => {
    const payload = await signed(alice);
    // The same workflow ID again (the same request deployed again): another run, so it does not count.
    expect(await verify(payload, { runId: 'later-run' })).toEqual({
      verified: false,
      why: `signed for another run of this workflow ID (run ${RUN}; this is run later-run)`,
    });
    expect(await verify(payload, { gateId: 2 })).toEqual({
      verified: false,
      why: 'signed for another gate (conflicts gate 1; this is conflicts gate 2)',
    });
    expect(await verify(payload, { gateKind: 'intervention' })).toEqual({
      verified: false,
      why: 'signed for another gate (conflicts gate 1; this is intervention gate 1)',
    });
    expect(await verify(payload, { workflowId: 'deploy-payrollportal-xyz' })).toEqual({
      verified: false,
      why: `signed for another workflow (${WF})`,
    });
  });

  test('the payload edited to claim this gate → the signature no longer verifies', async () => {
    const payload = await signed(alice, { gateId: 7 });
    const edited = { ...payload, signed: { ...payload.signed!, gateId: 1 } };
    expect(await verify(edited)).toMatchObject({
      verified: false,
      why: expect.stringMatching(/^signature does not verify for principal alice \(the signed text differs/),
    });
  });

  test('a reject sent as approve (and the reverse) → ignored: she signed the other decision', async () => {
    const rejected = await signed(alice, {}, 'reject');
    expect(await verify(rejected, { decision: 'approve' })).toEqual({
      verified: false,
      why: 'alice signed to reject, not to approve',
    });
    const approved = await signed(alice);
    expect(await verify(approved, { decision: 'reject' })).toEqual({
      verified: false,
      why: 'alice signed to approve, not to reject',
    });
  });

  test('a tampered, removed or added reason → does not verify', async () => {
    const payload = await signed(alice);
    const { reason: _dropped, ...noReason } = payload;
    const withReason = await signed(alice, { reason: undefined });
    for (const p of [{ ...payload, reason: 'checked with the HR team!' }, noReason, { ...withReason, reason: 'x' }]) {
      expect(await verify(p)).toEqual({
        verified: false,
        why: 'signature does not verify for principal alice (the signed text differs: another reason, decision or validity)',
      });
    }
  });

  test('expired → "expired at …"; issued in the future beyond the skew → not valid yet', async () => {
    const issued = new Date('2026-01-31T09:30:00.000Z');
    const payload = await signed(alice, {}, 'approve', { now: issued, minutes: 30 });
    expect(await verify(payload, {}, '2026-01-31T10:00:00.001Z')).toEqual({
      verified: false,
      why: 'expired at 2026-01-31T10:00:00.000Z (received at 2026-01-31T10:00:00.001Z)',
    });
    expect(await verify(payload, {}, '2026-01-31T09:20:00.000Z')).toEqual({
      verified: false,
      why: "not valid yet: issued at 2026-01-31T09:30:00.000Z, received at 2026-01-31T09:20:00.000Z (is the signer's clock ahead?)",
    });
  });

  test('validity longer than 24 hours, or expiring before issue → refused before any signature check', async () => {
    const s = await signed(alice);
    const long: SignedDecision = {
      ...s.signed!,
      issuedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-02T00:00:00.001Z',
    };
    long.signature = await signStatement(decisionStatement({ ...long, decision: 'approve', reason: s.reason }), {
      path: alice.priv,
      from: '--sign-with',
    });
    expect(await verify({ ...s, signed: long }, {}, '2026-01-01T01:00:00.000Z')).toEqual({
      verified: false,
      why: 'valid for more than 1440 minutes (2026-01-01T00:00:00.000Z to 2026-01-02T00:00:00.001Z)',
    });
    const backwards = { ...s.signed!, expiresAt: s.signed!.issuedAt };
    expect(await verify({ ...s, signed: backwards })).toMatchObject({
      verified: false,
      why: expect.stringMatching(/^expires \(.*\) before it is issued/),
    });
  });

  test('a malformed payload → invalid payload, naming the field (by must be the signing principal)', async () => {
    const payload = await signed(alice);
    expect(await verify({ ...payload, by: 'bob' })).toEqual({
      verified: false,
      why: 'invalid payload: by: by must be the signing principal ("alice") in a signed decision',
    });
    expect(await verify({ ...payload, signed: { ...payload.signed!, signature: 'x'.repeat(5000) } })).toEqual({
      verified: false,
      why: 'invalid payload: signed.signature: signature must be at most 4000 characters; signed.signature: signature must be an armored SSH signature (-----BEGIN SSH SIGNATURE----- …)',
    });
    expect(await verify({ ...payload, extra: 1 })).toMatchObject({ why: expect.stringMatching(/^invalid payload: /) });
  });
});

describe('the allowed-approvers file changes while the worker runs', () => {
  test("alice's key removed from the file → her next decision does not verify; put back → it does", async () => {
    const file = keys.write('changing', listing(`alice ${alice.line}`, `bob ${bob.line}`));
    const verifier = new Verifier({ approversFile: file });
    await verifier.load();
    const payload = await signed(alice);
    expect(await verify(payload, {}, undefined, verifier)).toMatchObject({ verified: true });
    keys.write('changing', listing(`bob ${bob.line}`));
    expect(await verify(payload, {}, undefined, verifier)).toEqual({
      verified: false,
      why: 'signature does not verify for principal alice (the signing key is not in the allowed approvers file)',
    });
    keys.write('changing', listing(`alice ${alice.line}`, `bob ${bob.line}`));
    expect(await verify(payload, {}, undefined, verifier)).toMatchObject({ verified: true });
  });

  test('a key moved to another principal → it signs for that principal only', async () => {
    const file = keys.write('moved', listing(`alice ${alice.line}`));
    const verifier = new Verifier({ approversFile: file });
    const payload = await signed(alice);
    expect(await verify(payload, {}, undefined, verifier)).toMatchObject({ verified: true });
    keys.write('moved', listing(`alice-old ${alice.line}`));
    expect(await verify(payload, {}, undefined, verifier)).toEqual({
      verified: false,
      why: 'signature does not verify for principal alice (the signing key is listed for alice-old)',
    });
  });

  test('a file made invalid → nothing verifies (and the log says why) until it is fixed', async () => {
    const logged: string[] = [];
    const logger = {
      info: (m: string) => logged.push(`info ${m}`),
      warn: (m: string) => logged.push(`warn ${m}`),
      error: (m: string, meta?: Record<string, unknown>) => logged.push(`error ${m} ${JSON.stringify(meta)}`),
    };
    const file = keys.write('broken', listing(`alice ${alice.line}`));
    const verifier = new Verifier({ approversFile: file, logger });
    await verifier.load();
    const payload = await signed(alice);
    keys.write('broken', listing(`alice ${alice.line}`, `bob ssh-foo ${bob.line.split(' ')[1]}`));
    expect(await verify(payload, {}, undefined, verifier)).toEqual({
      verified: false,
      why: expect.stringMatching(
        /^the allowed approvers file is invalid \(LIFETIME_DEPLOY_APPROVERS_FILE line 3: key type "ssh-foo" is not a known SSH key type/,
      ),
    });
    keys.write('broken', listing(`alice ${alice.line}`, `bob ${bob.line}`));
    expect(await verify(payload, {}, undefined, verifier)).toMatchObject({ verified: true });
    expect(logged).toEqual([
      expect.stringMatching(/^error allowed approvers file invalid: no decision verifies until it is fixed .*line 3/),
      'info allowed approvers file reloaded',
    ]);
    expectNoSecrets(logged.join('\n'), [alice, bob]);
    expect(logged.join('\n')).not.toContain(bob.line.split(' ')[1]);
  });

  test('the file deleted → nothing verifies, saying it cannot be read', async () => {
    const verifier = new Verifier({ approversFile: `${keys.dir}/gone` });
    expect(await verify(await signed(alice), {}, undefined, verifier)).toEqual({
      verified: false,
      why: `the allowed approvers file cannot be read: LIFETIME_DEPLOY_APPROVERS_FILE: cannot read ${keys.dir}/gone (ENOENT)`,
    });
  });

  test('no approvers file configured → unsigned is still "unsigned"; signed ones cannot verify', async () => {
    const verifier = new Verifier({});
    expect(await verify({ by: 'alice' }, {}, undefined, verifier)).toEqual({ verified: false, why: 'unsigned' });
    expect(await verify(await signed(alice), {}, undefined, verifier)).toEqual({
      verified: false,
      why: 'the worker has no allowed approvers file (LIFETIME_DEPLOY_APPROVERS_FILE)',
    });
  });
});

describe('the activities', () => {
  test('verifyDecision and verifyRequest from createVerifyActivities', async () => {
    const acts = createVerifyActivities({ approversFile: approvers });
    const payload = await signed(alice);
    const at = new Date().toISOString();
    expect(await acts.verifyDecision({ payload, expected, at })).toMatchObject({ verified: true, principal: 'alice' });

    const request = {
      workflowId: WF,
      requestedBy: 'carol@example.com',
      source: 'Development',
      target: 'Production',
      applications: [{ app: 'EmployeeBackoffice' }],
      terms: { notes: '', policies: { approvers: ['alice'], signatures: 'required' } },
    };
    const sig = await signRequest({ ...request, expiresInMinutes: 30 }, { path: carol.priv, from: '--sign-with' });
    const ok = await acts.verifyRequest({ payload: sig, expected: request, at });
    expect(ok).toEqual({ verified: true, principal: 'carol@example.com', fingerprint: carol.fingerprint });
    const other = await acts.verifyRequest({
      payload: sig,
      expected: { ...request, applications: [{ app: 'PayrollPortal' }] },
      at,
    });
    expect(other.why).toBe(
      'signature does not verify for principal carol@example.com (the signed text differs: another reason, decision or validity)',
    );
    // The same signed request under weaker terms (no approvers, unsigned decisions taken): not the signed text.
    const weaker = await acts.verifyRequest({
      payload: sig,
      expected: { ...request, terms: { notes: '', policies: { approvers: [], signatures: 'break-glass-unsigned' } } },
      at,
    });
    expect(weaker.why).toBe(other.why);
    expect(weaker.verified).toBe(false);
    expect((await acts.verifyRequest({ payload: sig, expected: { ...request, requestedBy: 'bob' }, at })).why).toBe(
      'signed by carol@example.com, but the request names bob as its requester',
    );
    expect((await acts.verifyRequest({ payload: sig, expected: { ...request, workflowId: 'wf-2' }, at })).why).toBe(
      `signed for another workflow (${WF})`,
    );
    expect(await acts.verifyRequest({ payload: undefined, expected: request, at })).toEqual({
      verified: false,
      why: 'unsigned',
    });
    seen.push(JSON.stringify([ok, other, weaker]));
  });

  test('ssh-keygen missing → the activity fails (retryable): an infrastructure problem, not a verdict', async () => {
    const payload = await signed(alice);
    const verifier = new Verifier({ approversFile: approvers, sshKeygen: '/nonexistent/ssh-keygen' });
    await expect(verifier.load()).rejects.toBeInstanceOf(SshKeygenUnavailableError);
    const acts = createVerifyActivities({ verifier });
    const err = await acts.verifyDecision({ payload, expected, at: new Date().toISOString() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({
      type: 'SshKeygenUnavailable',
      nonRetryable: false,
      message: expect.stringContaining('/nonexistent/ssh-keygen not found'),
    });
    seen.push((err as Error).message);
  });

  test('a malformed input from the workflow → non-retryable failure naming the field', async () => {
    const acts = createVerifyActivities({ approversFile: approvers });
    const err = await acts.verifyDecision({ payload: {}, expected: { ...expected, gateId: 0 }, at: 'yesterday' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
      message: expect.stringMatching(/^invalid verification input: expected\.gateId: .*; at: /),
    });
  });
});
