/**
 * Verification activities (run as local activities by the gates): is this signed decision (or signed request)
 * proven, and by whom? The allowed-approvers file stays in the worker; the workflow gets back only the verdict, the
 * verified principal, the key's fingerprint and a short reason, never key material.
 *
 * A bad, missing, replayed or expired signature is a verdict (`verified: false`, `why`). The activity fails only
 * when verification cannot run (ssh-keygen missing: retryable) or the workflow passed a malformed input (a bug:
 * non-retryable).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ZodError } from 'zod';
import { describeIssues } from '../workflows/describe-issues';
import { SshKeygenUnavailableError } from '../signing/ssh-keygen';
import {
  Verifier,
  type SigningLogger,
  type Verification,
  type VerifyDecisionInput,
  type VerifyReleaseRequestInput,
  type VerifyRequestInput,
} from '../signing/verify';

export type {
  Verification,
  VerifyDecisionInput,
  VerifyReleaseRequestInput,
  VerifyRequestInput,
} from '../signing/verify';

export interface VerifySettings {
  /** LIFETIME_DEPLOY_APPROVERS_FILE; without it every signed decision is `verified: false`. */
  approversFile?: string;
  /** A verifier already loaded (the worker validates the file at start); otherwise one is made from the file. */
  verifier?: Verifier;
  sshKeygen?: string;
  logger?: SigningLogger;
}

async function guard(fn: () => Promise<Verification>): Promise<Verification> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ZodError) {
      throw ApplicationFailure.nonRetryable(
        `invalid verification input: ${describeIssues(err.issues)}`,
        'InvalidInput',
      );
    }
    if (err instanceof SshKeygenUnavailableError) {
      throw ApplicationFailure.create({ type: 'SshKeygenUnavailable', message: err.message, nonRetryable: false });
    }
    throw err;
  }
}

export const createVerifyActivities = (settings: VerifySettings = {}) => {
  const verifier =
    settings.verifier ??
    new Verifier({ approversFile: settings.approversFile, sshKeygen: settings.sshKeygen, logger: settings.logger });
  return {
    /** Whether this worker has an allowed-approvers file (then decisions with an approver list must be signed). */
    async signingSettings(): Promise<{ approversFile: boolean }> {
      return { approversFile: !!settings.approversFile || !!settings.verifier };
    },
    /** Verifies a decision payload for the open gate (`at`: workflow time when the decision arrived). */
    async verifyDecision(input: VerifyDecisionInput): Promise<Verification> {
      return guard(() => verifier.verifyDecision(input));
    },
    /** Verifies the requester's signature over the deployment request (`at`: when the workflow received it). */
    async verifyRequest(input: VerifyRequestInput): Promise<Verification> {
      return guard(() => verifier.verifyRequest(input));
    },
    /** Verifies the requester's signature over a release request (`at`: when the workflow received it). */
    async verifyReleaseRequest(input: VerifyReleaseRequestInput): Promise<Verification> {
      return guard(() => verifier.verifyReleaseRequest(input));
    },
  };
};
export type VerifyActivities = ReturnType<typeof createVerifyActivities>;
