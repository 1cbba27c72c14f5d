/**
 * The one error hierarchy of the LifeTime client. Every failure of a LifeTime call (HTTP status, timeout,
 * network, unexpected response shape, cancellation) surfaces as a `LifeTimeError` subclass with a stable
 * `code`, a `retryable` flag and the call it belongs to (`method`, `path` relative to the API base).
 *
 * Messages are built from that data only, never from request options, so they cannot carry the token.
 * A raw got error is never kept as `cause` (got 14 errors hold the request options, Authorization header
 * included): `http.ts` passes a sanitized summary (`LifeTimeCauseSummary`) instead.
 *
 * This module has no imports: activities and tests may load it freely.
 */

/** Brand shared by every copy of this module (the global symbol registry spans realms and bundles). */
const BRAND = Symbol.for('lifetime-deploy.LifeTimeError');

/** How much of one LifeTime `Errors[]` entry or one schema issue goes into a message. */
const MAX_TEXT = 300;
/** How many schema issues a message lists before "(+n more)". */
const MAX_ISSUES = 5;

function truncate(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export interface LifeTimeErrorInit {
  method: string;
  path: string;
  status?: number;
  lifetimeErrors?: string[];
  retryAfterMs?: number;
  cause?: unknown;
}

/** Every LifeTime client error's `code`; activities pass it on as the failure type. */
export type LifeTimeErrorCode =
  | 'LifeTimeHttp'
  | 'LifeTimeAuth'
  | 'LifeTimeTimeout'
  | 'LifeTimeNetwork'
  | 'LifeTimeAborted'
  | 'LifeTimeSchema'
  | 'UnknownEnvironment'
  | 'UnknownApplication';

export abstract class LifeTimeError extends Error {
  abstract readonly code: LifeTimeErrorCode;
  abstract readonly retryable: boolean;
  readonly method: string;
  /** Relative to the API base (`…/lifetimeapi/rest/v2`), with the real keys, e.g. `/deployments/<key>/start/`. */
  readonly path: string;
  readonly status?: number;
  /** The `Errors[]` of LifeTime's `Exception` body, when there was one. */
  readonly lifetimeErrors?: string[];
  /** From a `Retry-After` header, in milliseconds. */
  readonly retryAfterMs?: number;

  protected constructor(message: string, init: LifeTimeErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.method = init.method;
    this.path = init.path;
    if (init.status !== undefined) this.status = init.status;
    if (init.lifetimeErrors !== undefined) this.lifetimeErrors = init.lifetimeErrors;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  /** What `JSON.stringify(err)` shows: the data, nothing else. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      retryable: this.retryable,
      message: this.message,
      method: this.method,
      path: this.path,
      status: this.status,
      lifetimeErrors: this.lifetimeErrors,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

/** True for any LifeTime client error, also across module copies and realms (checks a brand, not only the class). */
export function isLifeTimeError(e: unknown): e is LifeTimeError {
  if (e instanceof LifeTimeError) return true;
  if (typeof e !== 'object' || e === null) return false;
  const o = e as Record<PropertyKey, unknown>;
  return o[BRAND] === true && typeof o.code === 'string' && typeof o.retryable === 'boolean';
}

/**
 * The sanitized stand-in for a transport error: its name, code and message (with secrets removed by the
 * caller), and no request options, headers or sockets.
 */
export class LifeTimeCauseSummary extends Error {
  readonly code?: string;
  constructor(name: string, message: string, code?: string) {
    super(message);
    this.name = name;
    if (code !== undefined) this.code = code;
  }
}

const quoted = (errors: readonly string[] | undefined): string =>
  errors && errors.length > 0 ? ': ' + errors.map((e) => JSON.stringify(truncate(e))).join('; ') : '';

const statusLine = (status: number, statusText: string | undefined): string =>
  statusText ? `${status} ${statusText}` : String(status);

export interface HttpErrorInit extends LifeTimeErrorInit {
  status: number;
  statusText?: string;
  /** Extra words after the status, e.g. a hint for an unexpected redirect. */
  note?: string;
}

/** LifeTime answered with a status the call does not accept. Retryable for 5xx (except 501) and 429. */
export class LifeTimeHttpError extends LifeTimeError {
  override readonly code = 'LifeTimeHttp';
  override readonly retryable: boolean;
  declare readonly status: number;

  constructor(init: HttpErrorInit) {
    const note = init.note ? ` (${init.note})` : '';
    super(
      `${init.method} ${init.path} → ${statusLine(init.status, init.statusText)}${note}${quoted(init.lifetimeErrors)}`,
      init,
    );
    this.retryable = LifeTimeHttpError.isRetryableStatus(init.status);
  }

  static isRetryableStatus(status: number): boolean {
    return status === 429 || (status >= 500 && status !== 501);
  }
}

const AUTH_HINT = 'authentication failed: check the LifeTime service account token';

/** 401, or a 403 whose text is about the token. Never retryable: a new token is needed. */
export class LifeTimeAuthError extends LifeTimeError {
  override readonly code = 'LifeTimeAuth';
  override readonly retryable = false;
  declare readonly status: number;

  constructor(init: HttpErrorInit) {
    super(
      `${init.method} ${init.path} → ${statusLine(init.status, init.statusText)}: ${AUTH_HINT}${quoted(init.lifetimeErrors)}`,
      init,
    );
  }

  /** Whether a 403's `Errors[]` text is about the token rather than missing permissions. */
  static isAboutToken(errors: readonly string[] | undefined): boolean {
    return (errors ?? []).some((e) => /token|authenticat|unauthori[sz]|expired/i.test(e));
  }
}

/** No complete answer within the per-request timeout. Retryable. */
export class LifeTimeTimeoutError extends LifeTimeError {
  override readonly code = 'LifeTimeTimeout';
  override readonly retryable = true;
  readonly timeoutMs?: number;

  constructor(init: LifeTimeErrorInit & { timeoutMs?: number }) {
    const after = init.timeoutMs !== undefined ? ` after ${init.timeoutMs} ms` : '';
    super(`${init.method} ${init.path} → timed out${after} waiting for LifeTime`, init);
    if (init.timeoutMs !== undefined) this.timeoutMs = init.timeoutMs;
  }
}

/**
 * The connection failed (refused, reset, DNS, proxy, TLS). Retryable unless the failure is one a retry
 * cannot fix (`retryable: false` for TLS certificate problems and proxy authentication).
 */
export class LifeTimeNetworkError extends LifeTimeError {
  override readonly code = 'LifeTimeNetwork';
  override readonly retryable: boolean;
  /** The system or TLS error code, e.g. `ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  readonly errorCode?: string;

  constructor(init: LifeTimeErrorInit & { errorCode?: string; detail: string; retryable?: boolean }) {
    super(
      `${init.method} ${init.path} → network error${init.errorCode ? ` ${init.errorCode}` : ''}: ${init.detail}`,
      init,
    );
    this.retryable = init.retryable ?? true;
    if (init.errorCode !== undefined) this.errorCode = init.errorCode;
  }
}

/** The caller's AbortSignal fired (e.g. Temporal activity cancellation). Not retryable. */
export class LifeTimeAbortedError extends LifeTimeError {
  override readonly code = 'LifeTimeAborted';
  override readonly retryable = false;

  constructor(init: LifeTimeErrorInit) {
    super(`${init.method} ${init.path} → aborted by the caller`, init);
  }
}

/** One problem found by a schema: where (`DeploymentLog[0].Instant`) and what. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** The minimal shape of a zod issue this module needs (no zod import here). */
interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
}

function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(body)';
}

function describeIssue(issue: IssueLike): SchemaIssue {
  const message = / received undefined$/.test(issue.message)
    ? `required field missing (${issue.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')})`
    : issue.message;
  return { path: formatIssuePath(issue.path), message: truncate(message, 200) };
}

/**
 * A response (or a request body we were about to send) does not match the LifeTime schema. Names the endpoint
 * and each field path; never echoes the body. Not retryable: the same answer would fail the same way.
 */
export class LifeTimeSchemaError extends LifeTimeError {
  override readonly code = 'LifeTimeSchema';
  override readonly retryable = false;
  readonly direction: 'request' | 'response';
  readonly issues: SchemaIssue[];

  constructor(
    init: LifeTimeErrorInit & { direction?: 'request' | 'response'; issues: readonly (IssueLike | SchemaIssue)[] },
  ) {
    const direction = init.direction ?? 'response';
    const issues = init.issues.map((i) =>
      typeof i.path === 'string' ? (i as SchemaIssue) : describeIssue(i as IssueLike),
    );
    const shown = issues.slice(0, MAX_ISSUES).map((i) => `${i.path}: ${i.message}`);
    if (issues.length > MAX_ISSUES) shown.push(`(+${issues.length - MAX_ISSUES} more)`);
    const what = direction === 'request' ? 'request body (not sent)' : 'response';
    const status = init.status !== undefined && direction === 'response' ? ` (${init.status})` : '';
    super(
      `${init.method} ${init.path}${status}: ${what} does not match the LifeTime schema: ${shown.join('; ')}`,
      init,
    );
    this.direction = direction;
    this.issues = issues;
  }
}

/** An environment name (or key) that LifeTime does not know. Lists the known names. */
export class UnknownEnvironmentError extends LifeTimeError {
  override readonly code = 'UnknownEnvironment';
  override readonly retryable = false;
  constructor(
    readonly requested: string,
    readonly known: string[],
  ) {
    super(`environment "${requested}" not found; known: ${known.join(', ') || '(none)'}`, {
      method: 'GET',
      path: '/environments/',
    });
  }
}

/** An application name (or key) that LifeTime does not know. Lists the known names. */
export class UnknownApplicationError extends LifeTimeError {
  override readonly code = 'UnknownApplication';
  override readonly retryable = false;
  constructor(
    readonly requested: string,
    readonly known: string[],
  ) {
    super(`application "${requested}" not found; known: ${known.join(', ') || '(none)'}`, {
      method: 'GET',
      path: '/applications/',
    });
  }
}
