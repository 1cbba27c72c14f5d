/**
 * Signed decisions and signed requests: the payload shapes (zod only, so workflow code can import them) and the
 * result of verifying one. The signature itself is checked in the worker (src/signing, src/activities/verify.ts)
 * against the allowed-approvers file; the workflow keeps only the verified principal and the key's fingerprint.
 */
import { z } from 'zod';
import { DecisionPayload, LIMITS } from './messages';

/** The SSH signature namespace (`ssh-keygen -Y sign -n …`): a signature made for git or email never counts here. */
export const SIGNING_NAMESPACE = 'lifetime-deploy';

export const SIGNING_LIMITS = {
  /** Characters of an armored `-----BEGIN SSH SIGNATURE-----` block (an RSA 16384 signature is about 3,000). */
  signature: 4000,
  /** The longest time a signature may be valid for (issued → expires). */
  maxValidityMinutes: 24 * 60,
  /** How far a signer's clock may run ahead of the workflow's: a decision issued this much "later" still counts. */
  clockSkewSeconds: 5 * 60,
} as const;

/**
 * A principal as the allowed-approvers file names it and `ssh-keygen -Y verify -I` takes it: one identity such as
 * `alice` or `alice@example.com` (no spaces, commas, wildcards or quotes; not starting with `-`).
 */
export const Principal = z
  .string({ error: 'principal must be a string' })
  .max(LIMITS.name, { error: `principal must be at most ${LIMITS.name} characters` })
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._@+-]*$/, {
    error: 'principal must be one identity such as alice or alice@example.com (letters, digits and . _ @ + -)',
  });

/** An instant in UTC as `Date.toISOString()` writes it. */
export const Instant = (what: string) =>
  z.iso.datetime({ error: `${what} must be an ISO 8601 instant in UTC, e.g. 2026-01-31T09:30:00.000Z` });

const ARMOR = /^-----BEGIN SSH SIGNATURE-----\r?\n(?:[A-Za-z0-9+/=]+\r?\n)+-----END SSH SIGNATURE-----\r?\n?$/;

export const Signature = z
  .string({ error: 'signature must be a string' })
  .max(SIGNING_LIMITS.signature, { error: `signature must be at most ${SIGNING_LIMITS.signature} characters` })
  .regex(ARMOR, { error: 'signature must be an armored SSH signature (-----BEGIN SSH SIGNATURE----- …)' });

/** A gate kind as the signer saw it in the `state` query (`conflicts`, `intervention`, `promotion`, …). */
export const GateKindName = z
  .string({ error: 'gateKind must be a string' })
  .regex(/^[a-z][a-z-]{0,39}$/, { error: 'gateKind must be a gate kind such as conflicts or intervention' });

/** What a signed decision carries besides `by` and `reason`: what was signed, and the signature. */
export const SignedDecision = z.strictObject({
  principal: Principal,
  workflowId: z
    .string({ error: 'workflowId must be a string' })
    .min(1, { error: 'workflowId must not be empty' })
    .max(1000, { error: 'workflowId must be at most 1000 characters' }),
  /** The workflow's first run ID, as the gate shows it (`gate.runId` in the state). */
  runId: z
    .string({ error: 'runId must be a string' })
    .min(1, { error: 'runId must not be empty' })
    .max(100, { error: 'runId must be at most 100 characters' }),
  gateId: z
    .number({ error: 'gateId must be a number' })
    .int({ error: 'gateId must be a whole number' })
    .min(1, { error: 'gateId must be at least 1' })
    .max(1_000_000, { error: 'gateId must be at most 1000000' }),
  gateKind: GateKindName,
  issuedAt: Instant('issuedAt'),
  expiresAt: Instant('expiresAt'),
  signature: Signature,
});
export type SignedDecision = z.infer<typeof SignedDecision>;

/**
 * The payload of `approve` / `reject`: the existing `{ by, reason? }` plus an optional `signed` part. When signed,
 * `by` is the signing principal. The decision itself (approve or reject) is the signal's name, and is signed too.
 */
export const SignedDecisionPayload = DecisionPayload.extend({ signed: SignedDecision.optional() }).superRefine(
  (p, ctx) => {
    if (p.signed && p.signed.principal !== p.by) {
      ctx.addIssue({
        code: 'custom',
        path: ['by'],
        message: `by must be the signing principal (${JSON.stringify(p.signed.principal)}) in a signed decision`,
      });
    }
  },
);
export type SignedDecisionPayload = z.infer<typeof SignedDecisionPayload>;

/** The requester's signature over a deployment request (workflow ID, who, applications, source, target). */
export const SignedRequest = z.strictObject({
  principal: Principal,
  workflowId: SignedDecision.shape.workflowId,
  issuedAt: Instant('issuedAt'),
  expiresAt: Instant('expiresAt'),
  signature: Signature,
});
export type SignedRequest = z.infer<typeof SignedRequest>;

/** What verification says: a principal and fingerprint only when verified; otherwise a short reason. */
export interface Verification {
  verified: boolean;
  /** The principal the signature was verified for. */
  principal?: string;
  /** The signing key's fingerprint (`SHA256:…`), as ssh-keygen prints it. */
  fingerprint?: string;
  /** Why it does not count (`unsigned`, `expired at …`, `signature does not verify for principal alice`, …). */
  why?: string;
}
