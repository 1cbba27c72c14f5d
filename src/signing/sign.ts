/**
 * Signing (the CLI's side): `ssh-keygen -Y sign -n lifetime-deploy -f <key> <statement file>`. The key is a private
 * key file, or a public key whose private half ssh-agent holds (SSH_AUTH_SOCK). ssh-keygen never prompts: a key with
 * a passphrase must be in ssh-agent. Only the key's path reaches the command line; the statement and the signature
 * are files in a private temp folder, removed afterwards.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import {
  Principal,
  Signature,
  SIGNING_LIMITS,
  SIGNING_NAMESPACE,
  type SignedDecision,
  type SignedRequest,
} from '../workflows/signed-decision';
import { firstError, runSshKeygen, withPrivateDir } from './ssh-keygen';
import {
  decisionStatement,
  releaseStatement,
  requestStatement,
  type DecisionStatement,
  type ReleaseStatement,
  type RequestStatement,
} from './statement';

/** A signing key and how the person named it (`--sign-with`, `LIFETIME_DEPLOY_SIGNING_KEY`), for messages. */
export interface SigningKey {
  path: string;
  /** The flag or variable the path came from. */
  from: string;
}

export interface SignOptions {
  env?: NodeJS.ProcessEnv;
  sshKeygen?: string;
}

/** Signing failed for a reason the person can fix; the message names the flag and the key's path. */
export class SigningError extends Error {
  override readonly name = 'SigningError';
}

/** What went wrong, from ssh-keygen's complaint (its messages name files, never key material). */
function whyNotSigned(stderr: string, env: NodeJS.ProcessEnv): string {
  if (/passphrase/i.test(stderr)) {
    return 'the key is protected by a passphrase and ssh-agent does not hold it: add it with ssh-add, then sign again (lifetime-deploy never asks for a passphrase)';
  }
  if (/UNPROTECTED PRIVATE KEY FILE|too open/.test(stderr)) {
    return 'the private key file is readable by others, so ssh-keygen refuses it (chmod 600 it)';
  }
  if (/No private key found for public key/.test(stderr)) {
    return env.SSH_AUTH_SOCK
      ? 'a public key whose private half ssh-agent does not hold (ssh-add it) and that has no private key beside it'
      : 'a public key, and no ssh-agent to sign with it (SSH_AUTH_SOCK is not set)';
  }
  if (/Couldn't load|not a public key|invalid format|No private key found|error in libcrypto/i.test(stderr)) {
    return 'not an SSH key that ssh-keygen can read';
  }
  return `ssh-keygen could not sign: ${firstError(stderr) || 'no reason given'}`;
}

/** The key file's absolute path; throws SigningError when there is no such file (`--sign-with /x: file not found`). */
export function checkKeyFile(key: SigningKey): string {
  const keyPath = path.resolve(key.path);
  let why: string | undefined;
  try {
    if (statSync(keyPath).isDirectory()) why = 'is a directory, not a key file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? 'error'})`;
  }
  if (why) throw new SigningError(`${key.from} ${key.path}: ${why}`);
  return keyPath;
}

/** Signs `statement` with the key; returns the armored SSH signature. Throws SigningError naming the key. */
export async function signStatement(statement: string, key: SigningKey, opts: SignOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const keyPath = checkKeyFile(key);
  const fail = (why: string) => new SigningError(`${key.from} ${key.path}: ${why}`);
  return withPrivateDir(async (dir) => {
    const message = dir.put('statement', statement);
    const r = await runSshKeygen(['-Y', 'sign', '-n', SIGNING_NAMESPACE, '-f', keyPath, message], {
      agent: true,
      env,
      sshKeygen: opts.sshKeygen,
    });
    if (r.code !== 0) throw fail(whyNotSigned(r.stderr, env));
    const signature = readFileSync(`${message}.sig`, 'utf8');
    if (!Signature.safeParse(signature).success) {
      throw fail(
        `ssh-keygen's signature is not an armored SSH signature of at most ${SIGNING_LIMITS.signature} characters`,
      );
    }
    return signature;
  });
}

/** Validity window from now: issued now, expiring `minutes` later (at most SIGNING_LIMITS.maxValidityMinutes). */
export function validity(minutes: number, now: Date = new Date()): { issuedAt: string; expiresAt: string } {
  if (!(minutes > 0 && minutes <= SIGNING_LIMITS.maxValidityMinutes)) {
    throw new SigningError(
      `a signature is valid for more than 0 and at most ${SIGNING_LIMITS.maxValidityMinutes} minutes, not ${minutes}`,
    );
  }
  return {
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + Math.round(minutes * 60_000)).toISOString(),
  };
}

function checkPrincipal(principal: string, what: string): void {
  const r = Principal.safeParse(principal);
  if (!r.success)
    throw new SigningError(`${what} ${JSON.stringify(principal.slice(0, 60))}: ${r.error.issues[0]!.message}`);
}

/** Signs a decision for one gate of one workflow; returns the `signed` part of the payload. */
export async function signDecision(
  d: Omit<DecisionStatement, 'issuedAt' | 'expiresAt'> & { expiresInMinutes: number; now?: Date },
  key: SigningKey,
  opts: SignOptions = {},
): Promise<SignedDecision> {
  checkPrincipal(d.principal, '--by');
  const { issuedAt, expiresAt } = validity(d.expiresInMinutes, d.now);
  const statement = decisionStatement({ ...d, issuedAt, expiresAt });
  const signature = await signStatement(statement, key, opts);
  return {
    principal: d.principal,
    workflowId: d.workflowId,
    runId: d.runId,
    gateId: d.gateId,
    gateKind: d.gateKind,
    issuedAt,
    expiresAt,
    signature,
  };
}

/** Signs a deployment request as its requester; returns the signed part (the request itself travels as is). */
export async function signRequest(
  r: Omit<RequestStatement, 'issuedAt' | 'expiresAt'> & { expiresInMinutes: number; now?: Date },
  key: SigningKey,
  opts: SignOptions = {},
): Promise<SignedRequest> {
  checkPrincipal(r.requestedBy, 'requestedBy');
  const { issuedAt, expiresAt } = validity(r.expiresInMinutes, r.now);
  const signature = await signStatement(requestStatement({ ...r, issuedAt, expiresAt }), key, opts);
  return { principal: r.requestedBy, workflowId: r.workflowId, issuedAt, expiresAt, signature };
}

/** Signs a release request as its requester; returns the signed part (the request itself travels as is). */
export async function signReleaseRequest(
  r: Omit<ReleaseStatement, 'issuedAt' | 'expiresAt'> & { expiresInMinutes: number; now?: Date },
  key: SigningKey,
  opts: SignOptions = {},
): Promise<SignedRequest> {
  checkPrincipal(r.requestedBy, 'requestedBy');
  const { issuedAt, expiresAt } = validity(r.expiresInMinutes, r.now);
  const signature = await signStatement(releaseStatement({ ...r, issuedAt, expiresAt }), key, opts);
  return { principal: r.requestedBy, workflowId: r.workflowId, issuedAt, expiresAt, signature };
}
