/**
 * Verification (the worker's side). A signed decision counts only when ssh-keygen verifies its signature over the
 * canonical statement for the named principal against the allowed-approvers file
 * (`ssh-keygen -Y verify -f <allowed> -I <principal> -n lifetime-deploy -s <sig>`, the statement on stdin), and it
 * was signed for this workflow, this gate and this decision, and arrived between its issue (less a small clock skew)
 * and its expiry. A bad signature is a verdict (`verified: false` with a short reason), never an exception;
 * only infrastructure problems throw (ssh-keygen cannot run).
 *
 * The allowed-approvers file is read again on every verification and validated again whenever its text changed, so
 * a key removed from the file stops verifying at the next decision; ssh-keygen checks against a private snapshot of
 * exactly the text that was validated.
 */
import { z } from 'zod';
import { describeIssues } from '../workflows/describe-issues';
import { AppRequest } from '../workflows/messages';
import {
  SignedDecisionPayload,
  SignedRequest,
  SIGNING_LIMITS,
  SIGNING_NAMESPACE,
  type Verification,
} from '../workflows/signed-decision';
import {
  AllowedSignersError,
  matchesPatternList,
  readAllowedSignersFile,
  validateAllowedSigners,
  type AllowedSigners,
} from './allowed-signers';
import { runSshKeygen, withPrivateDir } from './ssh-keygen';
import { decisionStatement, releaseStatement, requestStatement } from './statement';

export type { Verification } from '../workflows/signed-decision';

/** What the workflow passes to verify a decision: the raw payload, what it must be for, and when it arrived. */
export const VerifyDecisionInput = z.strictObject({
  payload: z.unknown(),
  expected: z.strictObject({
    workflowId: z.string().min(1),
    runId: z.string().min(1),
    gateId: z.number().int().min(1),
    gateKind: z.string().min(1),
    decision: z.enum(['approve', 'reject']),
  }),
  /** Workflow time when the decision arrived. */
  at: z.iso.datetime(),
});
export type VerifyDecisionInput = z.infer<typeof VerifyDecisionInput>;

/** What the workflow passes to verify the requester's signature over its request. */
export const VerifyRequestInput = z.strictObject({
  /** The signed part (a SignedRequest), or undefined when the request is unsigned. */
  payload: z.unknown(),
  expected: z.strictObject({
    workflowId: z.string().min(1),
    requestedBy: z.string().min(1),
    source: z.string(),
    target: z.string(),
    applications: z.array(AppRequest),
    /** Every other field of the request but the signature (deploySignatureSubject). */
    terms: z.record(z.string(), z.unknown()),
  }),
  /** Workflow time when the request was received (the workflow's start). */
  at: z.iso.datetime(),
});
export type VerifyRequestInput = z.infer<typeof VerifyRequestInput>;

/** What a release passes to verify the requester's signature over its request. */
export const VerifyReleaseRequestInput = z.strictObject({
  /** The signed part (a SignedRequest), or undefined when the request is unsigned. */
  payload: z.unknown(),
  expected: z.strictObject({
    workflowId: z.string().min(1),
    requestedBy: z.string().min(1),
    route: z.array(z.string()),
    gateBefore: z.array(z.string()),
    applications: z.array(z.string()),
    pinned: z.array(z.strictObject({ key: z.string(), name: z.string(), versionKey: z.string() })).optional(),
    /** Every other field of the request but the signature (releaseSignatureSubject). */
    terms: z.record(z.string(), z.unknown()),
  }),
  /** Workflow time when the request was received (the workflow's start). */
  at: z.iso.datetime(),
});
export type VerifyReleaseRequestInput = z.infer<typeof VerifyReleaseRequestInput>;

export interface SigningLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface VerifierOptions {
  /** The allowed-approvers file (allowed_signers format); without it nothing verifies. */
  approversFile?: string;
  /** How messages name the file (default: the variable LIFETIME_DEPLOY_APPROVERS_FILE). */
  label?: string;
  sshKeygen?: string;
  logger?: SigningLogger;
}

const WHY_MAX = 300;
const clip = (s: string, max = WHY_MAX) => (s.length <= max ? s : `${s.slice(0, max)}…`);
const no = (why: string): Verification => ({ verified: false, why: clip(why) });

/** `-O verify-time=` wants YYYYMMDDHHMMSSZ. */
const verifyTime = (iso: string) => `${iso.replace(/[-:]/g, '').replace('T', '').slice(0, 14)}Z`;

interface Signed {
  principal: string;
  issuedAt: string;
  expiresAt: string;
  signature: string;
}

type Check = { ok: true; fingerprint: string } | { ok: false; detail?: string };

export class Verifier {
  private readonly label: string;
  /** The last text read and what it gave (the validated signers, or why they cannot be used). */
  private last?: { text: string; outcome: Promise<AllowedSigners | string> };

  constructor(private readonly opts: VerifierOptions) {
    this.label = opts.label ?? 'LIFETIME_DEPLOY_APPROVERS_FILE';
  }

  get configured(): boolean {
    return this.opts.approversFile !== undefined;
  }

  /**
   * Reads and validates the file now (at worker start). Throws AllowedSignersError naming the line and what is
   * wrong (also when it lists no keys), or SshKeygenUnavailableError.
   */
  async load(): Promise<AllowedSigners> {
    const file = this.requireFile();
    const text = readAllowedSignersFile(file, this.label);
    const signers = await validateAllowedSigners(text, {
      file,
      label: this.label,
      sshKeygen: this.opts.sshKeygen,
      requireKeys: true,
    });
    this.last = { text, outcome: Promise.resolve(signers) };
    return signers;
  }

  private requireFile(): string {
    if (!this.opts.approversFile) throw new AllowedSignersError([`${this.label}: not set`]);
    return this.opts.approversFile;
  }

  /** The allowed signers as the file reads now (validated again when its text changed), or why there are none. */
  private async signers(): Promise<AllowedSigners | string> {
    if (!this.opts.approversFile) return `the worker has no allowed approvers file (${this.label})`;
    let text: string;
    try {
      text = readAllowedSignersFile(this.opts.approversFile, this.label);
    } catch (err) {
      this.opts.logger?.error('allowed approvers file unreadable', { problem: (err as Error).message });
      return `the allowed approvers file cannot be read: ${(err as Error).message}`;
    }
    if (this.last?.text === text) return this.last.outcome;
    const outcome = validateAllowedSigners(text, {
      file: this.opts.approversFile,
      label: this.label,
      sshKeygen: this.opts.sshKeygen,
    }).then(
      (signers) => {
        this.opts.logger?.info('allowed approvers file reloaded', {
          file: signers.file,
          keys: signers.entries.length,
          principals: signers.principals.length,
        });
        for (const w of signers.warnings) this.opts.logger?.warn('allowed approvers file', { warning: w });
        return signers;
      },
      (err: unknown) => {
        if (!(err instanceof AllowedSignersError)) throw err;
        this.opts.logger?.error('allowed approvers file invalid: no decision verifies until it is fixed', {
          problems: err.problems,
        });
        return `the allowed approvers file is invalid (${err.problems[0]})`;
      },
    );
    const last = { text, outcome };
    this.last = last;
    outcome.catch(() => {
      if (this.last === last) this.last = undefined; // an infrastructure failure is not remembered
    });
    return outcome;
  }

  /** ssh-keygen's verdict on `signature` over `statement` for `principal`, with the file's text as of now. */
  private async check(
    signers: AllowedSigners,
    statement: string,
    s: Signed,
    at: string,
  ): Promise<Check & { owners?: string[] }> {
    return withPrivateDir(async (dir) => {
      const allowed = dir.put('allowed_signers', signers.text);
      const sig = dir.put('signature', s.signature);
      const time = `verify-time=${verifyTime(at)}`;
      const args = ['-Y', 'verify', '-f', allowed, '-I', s.principal, '-n', SIGNING_NAMESPACE, '-s', sig, '-O', time];
      const r = await runSshKeygen(args, { stdin: statement, sshKeygen: this.opts.sshKeygen });
      const fingerprint = /^Good ".*" signature for .* key (SHA256:[A-Za-z0-9+/]+)/m.exec(r.stdout)?.[1];
      if (r.code === 0 && fingerprint) return { ok: true, fingerprint };
      // Not verified: whose key made it (if any), for a useful reason.
      const detail = r.stderr
        .split(/\r?\n/)
        .filter((l) => l.startsWith(`${allowed}:`))
        .map((l) => l.replace(`${allowed}:`, 'approvers file line '))[0];
      const found = await runSshKeygen(['-Y', 'find-principals', '-f', allowed, '-s', sig, '-O', time], {
        sshKeygen: this.opts.sshKeygen,
      });
      const owners = found.code === 0 ? found.stdout.split(/\r?\n/).filter(Boolean) : [];
      return { ok: false, detail, owners };
    });
  }

  /**
   * The common judgement: window sanity, signature, then what it was signed for (`boundElsewhere`) and when.
   * `alternate` is the same statement with the other decision, to say so when that is what was signed.
   */
  private async judge(
    s: Signed,
    statement: string,
    at: string,
    boundElsewhere: string | undefined,
    alternate?: { statement: string; why: string },
  ): Promise<Verification> {
    const issued = Date.parse(s.issuedAt);
    const expires = Date.parse(s.expiresAt);
    if (expires <= issued) return no(`expires (${s.expiresAt}) before it is issued (${s.issuedAt})`);
    if (expires - issued > SIGNING_LIMITS.maxValidityMinutes * 60_000) {
      return no(`valid for more than ${SIGNING_LIMITS.maxValidityMinutes} minutes (${s.issuedAt} to ${s.expiresAt})`);
    }
    const signers = await this.signers();
    if (typeof signers === 'string') return no(signers);
    const c = await this.check(signers, statement, s, at);
    if (!c.ok) {
      const prefix = `signature does not verify for principal ${s.principal}`;
      const owners = c.owners ?? [];
      const principalsKey = owners.length > 0 && matchesPatternList(s.principal, owners.join(','));
      if (principalsKey && alternate && (await this.check(signers, alternate.statement, s, at)).ok) {
        return no(alternate.why);
      }
      if (c.detail) return no(`${prefix} (${c.detail})`);
      if (owners.length === 0) return no(`${prefix} (the signing key is not in the allowed approvers file)`);
      if (!principalsKey) return no(`${prefix} (the signing key is listed for ${owners.join(', ')})`);
      return no(`${prefix} (the signed text differs: another reason, decision or validity)`);
    }
    if (boundElsewhere) return no(boundElsewhere);
    const when = Date.parse(at);
    if (when < issued - SIGNING_LIMITS.clockSkewSeconds * 1000) {
      return no(`not valid yet: issued at ${s.issuedAt}, received at ${at} (is the signer's clock ahead?)`);
    }
    if (when > expires) return no(`expired at ${s.expiresAt} (received at ${at})`);
    return { verified: true, principal: s.principal, fingerprint: c.fingerprint };
  }

  /** Verifies a decision payload for the open gate. Never throws for a bad or missing signature. */
  async verifyDecision(raw: VerifyDecisionInput): Promise<Verification> {
    const { payload, expected, at } = VerifyDecisionInput.parse(raw);
    const p = SignedDecisionPayload.safeParse(payload);
    if (!p.success) return no(`invalid payload: ${describeIssues(p.error.issues)}`);
    const s = p.data.signed;
    if (!s) return no('unsigned');
    const statementFor = (decision: 'approve' | 'reject') =>
      decisionStatement({
        workflowId: s.workflowId,
        runId: s.runId,
        gateId: s.gateId,
        gateKind: s.gateKind,
        decision,
        principal: s.principal,
        reason: p.data.reason,
        issuedAt: s.issuedAt,
        expiresAt: s.expiresAt,
      });
    const other = expected.decision === 'approve' ? 'reject' : 'approve';
    const boundElsewhere =
      s.workflowId !== expected.workflowId
        ? `signed for another workflow (${clip(s.workflowId, 120)})`
        : s.runId !== expected.runId
          ? `signed for another run of this workflow ID (run ${clip(s.runId, 100)}; this is run ${expected.runId})`
          : s.gateId !== expected.gateId || s.gateKind !== expected.gateKind
            ? `signed for another gate (${s.gateKind} gate ${s.gateId}; this is ${expected.gateKind} gate ${expected.gateId})`
            : undefined;
    return this.judge(s, statementFor(expected.decision), at, boundElsewhere, {
      statement: statementFor(other),
      why: `${s.principal} signed to ${other}, not to ${expected.decision}`,
    });
  }

  /** Verifies the requester's signature over a deployment request. Never throws for a bad or missing signature. */
  async verifyRequest(raw: VerifyRequestInput): Promise<Verification> {
    const { payload, expected, at } = VerifyRequestInput.parse(raw);
    return this.judgeRequest(payload, expected, at, (s) =>
      requestStatement({
        workflowId: s.workflowId,
        requestedBy: s.principal,
        source: expected.source,
        target: expected.target,
        applications: expected.applications,
        terms: expected.terms,
        issuedAt: s.issuedAt,
        expiresAt: s.expiresAt,
      }),
    );
  }

  /** Verifies the requester's signature over a release request. Never throws for a bad or missing signature. */
  async verifyReleaseRequest(raw: VerifyReleaseRequestInput): Promise<Verification> {
    const { payload, expected, at } = VerifyReleaseRequestInput.parse(raw);
    return this.judgeRequest(payload, expected, at, (s) =>
      releaseStatement({
        workflowId: s.workflowId,
        requestedBy: s.principal,
        route: expected.route,
        gateBefore: expected.gateBefore,
        applications: expected.applications,
        ...(expected.pinned ? { pinned: expected.pinned } : {}),
        terms: expected.terms,
        issuedAt: s.issuedAt,
        expiresAt: s.expiresAt,
      }),
    );
  }

  /** A signed request (deployment or release): the signer is the requester, for this workflow ID, in time. */
  private async judgeRequest(
    payload: unknown,
    expected: { workflowId: string; requestedBy: string },
    at: string,
    statementFor: (s: SignedRequest) => string,
  ): Promise<Verification> {
    if (payload === undefined || payload === null) return no('unsigned');
    const p = SignedRequest.safeParse(payload);
    if (!p.success) return no(`invalid request signature: ${describeIssues(p.error.issues)}`);
    const s = p.data;
    if (s.principal !== expected.requestedBy) {
      return no(`signed by ${s.principal}, but the request names ${clip(expected.requestedBy, 60)} as its requester`);
    }
    const boundElsewhere =
      s.workflowId !== expected.workflowId ? `signed for another workflow (${clip(s.workflowId, 120)})` : undefined;
    return this.judge(s, statementFor(s), at, boundElsewhere);
  }
}
