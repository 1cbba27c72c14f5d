/**
 * Signing with ssh-keygen: a private key file, a key held by ssh-agent (our own agent, spawned here), and the
 * errors a person can fix: no such file, a passphrase without an agent, a public key without its private half,
 * a private key readable by others. Nothing ever prompts, and no message carries key material.
 */
import { chmodSync, copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { SigningError, signDecision, signStatement, validity } from '../../src/signing/sign';
import { Verifier } from '../../src/signing/verify';
import { agentAdd, expectNoSecrets, startAgent, useKeyDir, useOwnTmpdir, type TestKey } from './keys';

useOwnTmpdir(); // every signing attempt, good or bad, removes its private temp folder
const keys = useKeyDir();
const PASSPHRASE = `test-passphrase-${Math.random().toString(36).slice(2)}`;
let alice: TestKey;
let locked: TestKey;
let approvers: string;

beforeAll(() => {
  alice = keys.key('alice');
  locked = keys.key('locked', { passphrase: PASSPHRASE });
  approvers = keys.write('approvers', `alice ${alice.line}\nlocked ${locked.line}\n`);
});

const noAgent = { PATH: process.env.PATH, HOME: process.env.HOME };

/** Signs a decision for gate 1 of wf-1 and verifies it; returns the verification. */
async function signAndVerify(key: string, principal: string, env: NodeJS.ProcessEnv) {
  const signed = await signDecision(
    {
      workflowId: 'wf-1',
      runId: 'run-1',
      gateId: 1,
      gateKind: 'intervention',
      decision: 'approve',
      principal,
      expiresInMinutes: 5,
    },
    { path: key, from: '--sign-with' },
    { env },
  );
  return new Verifier({ approversFile: approvers }).verifyDecision({
    payload: { by: principal, signed },
    expected: { workflowId: 'wf-1', runId: 'run-1', gateId: 1, gateKind: 'intervention', decision: 'approve' },
    at: new Date().toISOString(),
  });
}

/** The SigningError a signing attempt throws. */
async function signingError(key: string, env: NodeJS.ProcessEnv, from = '--sign-with'): Promise<string> {
  const err = await signStatement('lifetime-deploy decision v1\n', { path: key, from }, { env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SigningError);
  const message = (err as Error).message;
  expectNoSecrets(message, [alice, locked]);
  expect(message).not.toContain(PASSPHRASE);
  return message;
}

describe('signing with a key file', () => {
  test('a private key without a passphrase signs; the signature verifies for its principal', async () => {
    expect(await signAndVerify(alice.priv, 'alice', noAgent)).toEqual({
      verified: true,
      principal: 'alice',
      fingerprint: alice.fingerprint,
    });
  });

  test('no such file → "--sign-with <path>: file not found"; a directory → says so', async () => {
    expect(await signingError('/x', noAgent)).toBe('--sign-with /x: file not found');
    expect(await signingError('/nope/key', noAgent, 'LIFETIME_DEPLOY_SIGNING_KEY')).toBe(
      'LIFETIME_DEPLOY_SIGNING_KEY /nope/key: file not found',
    );
    expect(await signingError(keys.dir, noAgent)).toBe(`--sign-with ${keys.dir}: is a directory, not a key file`);
  });

  test('a key with a passphrase and no agent → a clear error at once (never a prompt)', async () => {
    const started = Date.now();
    expect(await signingError(locked.priv, noAgent)).toBe(
      `--sign-with ${locked.priv}: the key is protected by a passphrase and ssh-agent does not hold it: add it with ssh-add, then sign again (lifetime-deploy never asks for a passphrase)`,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('a public key without its private half and no agent → says there is no agent to sign with', async () => {
    const lone = path.join(keys.dir, 'lone.pub');
    copyFileSync(alice.pub, lone);
    expect(await signingError(lone, noAgent)).toBe(
      `--sign-with ${lone}: a public key, and no ssh-agent to sign with it (SSH_AUTH_SOCK is not set)`,
    );
  });

  test('a private key readable by others → ssh-keygen refuses it, and the message says how to fix it', async () => {
    const loose = path.join(keys.dir, 'loose');
    copyFileSync(alice.priv, loose);
    chmodSync(loose, 0o644);
    expect(await signingError(loose, noAgent)).toBe(
      `--sign-with ${loose}: the private key file is readable by others, so ssh-keygen refuses it (chmod 600 it)`,
    );
  });

  test('a file that is no key → says so', async () => {
    const junk = keys.write('junk', 'not a key\n');
    expect(await signingError(junk, noAgent)).toBe(`--sign-with ${junk}: not an SSH key that ssh-keygen can read`);
  });

  test('validity: 1 minute to 24 hours', () => {
    const now = new Date('2026-01-31T09:30:00.000Z');
    expect(validity(30, now)).toEqual({ issuedAt: '2026-01-31T09:30:00.000Z', expiresAt: '2026-01-31T10:00:00.000Z' });
    expect(() => validity(0, now)).toThrow('a signature is valid for more than 0 and at most 1440 minutes, not 0');
    expect(() => validity(1441, now)).toThrow('not 1441');
  });

  test('a principal that is not one identity is refused before signing', async () => {
    await expect(
      signDecision(
        {
          workflowId: 'w',
          runId: 'r',
          gateId: 1,
          gateKind: 'conflicts',
          decision: 'approve',
          principal: 'a,b',
          expiresInMinutes: 5,
        },
        { path: alice.priv, from: '--sign-with' },
      ),
    ).rejects.toThrow('--by "a,b": principal must be one identity such as alice or alice@example.com');
  });
});

describe('signing with ssh-agent (an agent of our own)', () => {
  let agent: Awaited<ReturnType<typeof startAgent>>;
  beforeAll(async () => {
    agent = await startAgent(keys.dir);
  });
  afterAll(() => agent?.stop());

  test('the passphrase key, added to the agent, signs through its public key: verified', async () => {
    if (!agent) return console.warn('ssh-agent not available: agent signing not tested');
    agentAdd(agent, locked, PASSPHRASE, keys.dir);
    const env = { ...noAgent, SSH_AUTH_SOCK: agent.sock };
    expect(await signAndVerify(locked.pub, 'locked', env)).toEqual({
      verified: true,
      principal: 'locked',
      fingerprint: locked.fingerprint,
    });
    // Also through the private key's path: the agent signs, no passphrase is asked.
    expect(await signAndVerify(locked.priv, 'locked', env)).toMatchObject({ verified: true });
  });

  test('a public key whose private half the agent does not hold → says so', async () => {
    if (!agent) return;
    const other = keys.key('other');
    const lone = path.join(keys.dir, 'other-lone.pub');
    copyFileSync(other.pub, lone);
    expect(await signingError(lone, { ...noAgent, SSH_AUTH_SOCK: agent.sock })).toBe(
      `--sign-with ${lone}: a public key whose private half ssh-agent does not hold (ssh-add it) and that has no private key beside it`,
    );
  });
});
