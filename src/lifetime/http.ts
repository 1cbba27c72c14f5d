/**
 * The HTTP layer: the only module that imports got (ESM-only, so it is loaded with a dynamic `import()` from
 * this CommonJS package; types come in with `resolution-mode: import`).
 *
 * One got instance per client, configured once with `got.extend`: base URL, Bearer token, user agent,
 * per-request timeout, retries for GET only. `throwHttpErrors: false`, so every response goes through
 * `classify`, and every got error goes through `convertError`: nothing from got crosses this module's
 * boundary (got 14 errors hold the request options, Authorization header included).
 */
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { rootCertificates } from 'node:tls';
import type { Got, Response } from 'got' with { 'resolution-mode': 'import' };
import pkg from '../../package.json';
import {
  LifeTimeAbortedError,
  LifeTimeAuthError,
  LifeTimeCauseSummary,
  LifeTimeHttpError,
  LifeTimeNetworkError,
  LifeTimeTimeoutError,
  type LifeTimeError,
} from './errors';
import { parseProxy, proxyRequestFunction, TunnelAgent, type ProxyConfig } from './proxy';
import { ExceptionBody } from './schemas';
import { parseHttpUrl } from './url';

export interface HttpOptions {
  /** `https://host`, `host`, `http://127.0.0.1:8088` or the full `…/lifetimeapi/rest/v2` URL. */
  baseUrl: string;
  /** The service account token (sent as `Authorization: Bearer …`). */
  token: string;
  /** Per-request (per-attempt) timeout. Default 30 000. */
  timeoutMs?: number;
  /** Retries of a GET after 429/500/502/503/504 or a network error. Default 2. POST/PUT/DELETE never retry. */
  retryLimit?: number;
  /** The longest `Retry-After` honoured; a longer one ends the call with a retryable error. Default 30 000. */
  maxRetryAfterMs?: number;
  /** PEM file with extra CA certificates (added to Node's bundled roots). */
  caFile?: string;
  /** `http://[user:pass@]proxy:port` (or https://). */
  proxy?: string;
  /** Replaces `lifetime-deploy/<version>`. */
  userAgent?: string;
}

export const HTTP_DEFAULTS = { timeoutMs: 30_000, retryLimit: 2, maxRetryAfterMs: 30_000 } as const;
export const DEFAULT_USER_AGENT = `lifetime-deploy/${pkg.version}`;
export const API_PATH = '/lifetimeapi/rest/v2/';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Options every client method accepts. */
export interface CallOptions {
  /** Aborts the request (pass Temporal's `cancellationSignal()`). */
  signal?: AbortSignal;
}

export interface HttpRequest extends CallOptions {
  method: Method;
  /** Relative to the API base, starting with `/`, e.g. `/deployments/<key>/status/`. */
  path: string;
  query?: Record<string, string | undefined>;
  json?: unknown;
}

/** A 2xx answer. Anything else has been turned into a LifeTimeError. */
export interface HttpResult {
  status: number;
  body: string;
  contentType: string;
}

/**
 * Normalises a LifeTime address to the API base, always ending in `/lifetimeapi/rest/v2/`.
 * No scheme means https. A LifeTime console URL (`…/lifetime`) is mapped to its API.
 */
export function normaliseBaseUrl(input: string): string {
  const raw = input.trim();
  if (!raw) throw new TypeError('baseUrl: empty; expected the LifeTime address, e.g. https://lifetime.example.com');
  const url = parseHttpUrl(raw, 'https', 'baseUrl', 'https://lifetime.example.com');
  if (url.username || url.password) {
    throw new TypeError('baseUrl: must not contain credentials; pass the token separately');
  }
  if (url.search || url.hash) throw new TypeError('baseUrl: must not contain a query string or fragment');
  let path = url.pathname.replace(/\/+$/, '');
  const version = /\/lifetimeapi\/rest\/(v[^/]*)$/i.exec(path);
  if (version) {
    if (version[1]!.toLowerCase() !== 'v2') {
      throw new TypeError(`baseUrl: LifeTime API ${version[1]} is not supported; this client speaks v2`);
    }
    path = path.slice(0, -version[0].length);
  } else if (/\/lifetimeapi(\/rest)?$/i.test(path)) {
    path = path.replace(/\/lifetimeapi(\/rest)?$/i, '');
  } else if (/\/lifetime$/i.test(path)) {
    path = path.slice(0, -'/lifetime'.length);
  }
  return `${url.origin}${path}${API_PATH}`;
}

const RETRY_STATUS_CODES = [429, 500, 502, 503, 504];
const RETRY_ERROR_CODES = [
  'ETIMEDOUT',
  'ECONNRESET',
  'EADDRINUSE',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'EAI_AGAIN',
];
/** TLS failures a retry cannot fix. */
const TLS_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS_|HOSTNAME|ALTNAME/;

/** Milliseconds from a Retry-After header (seconds or an HTTP date). */
function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class LifeTimeHttp {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retryLimit: number;
  readonly maxRetryAfterMs: number;
  readonly userAgent: string;
  readonly proxyHost?: string;
  readonly caFile?: string;
  #got?: Promise<Got>;
  readonly #makeGot: () => Promise<Got>;
  readonly #secrets: string[];

  constructor(opts: HttpOptions) {
    this.baseUrl = normaliseBaseUrl(opts.baseUrl);
    const token = typeof opts.token === 'string' ? opts.token.trim() : '';
    if (!token || /[\s\p{Cc}]/u.test(token)) {
      throw new TypeError('token: expected a non-empty LifeTime service account token without whitespace');
    }
    this.timeoutMs = positive('timeoutMs', opts.timeoutMs, HTTP_DEFAULTS.timeoutMs);
    this.retryLimit = nonNegative('retryLimit', opts.retryLimit, HTTP_DEFAULTS.retryLimit);
    this.maxRetryAfterMs = nonNegative('maxRetryAfterMs', opts.maxRetryAfterMs, HTTP_DEFAULTS.maxRetryAfterMs);
    this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
    let ca: string[] | undefined;
    if (opts.caFile) {
      this.caFile = opts.caFile;
      try {
        ca = [...rootCertificates, readFileSync(opts.caFile, 'utf8')];
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        throw new TypeError(`caFile: cannot read ${opts.caFile}${typeof code === 'string' ? ` (${code})` : ''}`);
      }
    }
    const proxy: ProxyConfig | undefined = opts.proxy ? parseProxy(opts.proxy) : undefined;
    if (proxy) this.proxyHost = proxy.url.host;
    this.#secrets = [token, ...(proxy?.secrets ?? [])].filter((s) => s.length >= 4);

    this.#makeGot = async () => {
      const { default: got } = await import('got');
      return got.extend({
        prefixUrl: this.baseUrl,
        headers: { authorization: `Bearer ${token}`, 'user-agent': this.userAgent, accept: 'application/json' },
        timeout: { request: this.timeoutMs },
        retry: {
          limit: this.retryLimit,
          methods: ['GET'],
          statusCodes: RETRY_STATUS_CODES,
          errorCodes: RETRY_ERROR_CODES,
          maxRetryAfter: this.maxRetryAfterMs,
        },
        throwHttpErrors: false,
        followRedirect: false,
        responseType: 'text',
        ...(ca ? { https: { certificateAuthority: ca } } : {}),
        ...(proxy ? { agent: { https: new TunnelAgent(proxy) }, request: proxyRequestFunction(proxy) } : {}),
      });
    };
  }

  /** Sends one request (with got's GET retries); resolves only for 2xx, otherwise throws a LifeTimeError. */
  async request(req: HttpRequest): Promise<HttpResult> {
    const searchParams: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) searchParams[k] = v;
    let res: Response<string>;
    try {
      this.#got ??= this.#makeGot();
      const got = await this.#got;
      res = await got(req.path.replace(/^\/+/, ''), {
        method: req.method,
        searchParams,
        ...(req.json !== undefined ? { json: req.json } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      });
    } catch (e) {
      throw this.#convertError(e, req);
    }
    return this.#classify(res, req);
  }

  /** Replaces every secret (token, proxy credentials) in a text. */
  redact(text: string): string {
    let out = text;
    for (const s of this.#secrets) out = out.split(s).join('[redacted]');
    return out;
  }

  /** The one place responses become results or errors. */
  #classify(res: Response<string>, req: HttpRequest): HttpResult {
    const status = res.statusCode;
    const contentType = String(res.headers['content-type'] ?? '');
    const body = typeof res.body === 'string' ? res.body : '';
    if (status >= 200 && status < 300) return { status, body, contentType };
    const init = {
      method: req.method,
      path: req.path,
      status,
      statusText: STATUS_CODES[status] ?? res.statusMessage,
      lifetimeErrors: this.#lifetimeErrors(body, contentType),
      retryAfterMs: parseRetryAfter(firstHeader(res.headers['retry-after'])),
    };
    if (status === 401 || (status === 403 && LifeTimeAuthError.isAboutToken(init.lifetimeErrors))) {
      return throwing(new LifeTimeAuthError(init));
    }
    const note = status >= 300 && status < 400 ? 'unexpected redirect: check the LifeTime base URL' : undefined;
    return throwing(new LifeTimeHttpError({ ...init, note }));
  }

  /** The `Errors[]` of LifeTime's Exception body; a short plain-text body also counts. */
  #lifetimeErrors(body: string, contentType: string): string[] | undefined {
    const text = body.trim();
    if (!text) return undefined;
    try {
      const parsed = ExceptionBody.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.Errors && parsed.data.Errors.length > 0) {
        return parsed.data.Errors.map((e) => truncate(this.redact(e), 1000));
      }
      return undefined;
    } catch {
      return /^text\/plain/i.test(contentType) ? [truncate(this.redact(text), 1000)] : undefined;
    }
  }

  /** Every got (or other) error becomes a LifeTimeError whose cause is a sanitized summary. */
  #convertError(e: unknown, req: HttpRequest): LifeTimeError {
    const err = (typeof e === 'object' && e !== null ? e : {}) as { name?: unknown; code?: unknown; message?: unknown };
    const name = typeof err.name === 'string' ? err.name : 'Error';
    const code = typeof err.code === 'string' ? err.code : undefined;
    const detail = truncate(this.redact(typeof err.message === 'string' ? err.message : String(e)), 500);
    const cause = new LifeTimeCauseSummary(name, detail, code);
    const base = { method: req.method, path: req.path, cause };
    if (name === 'AbortError' || code === 'ERR_ABORTED' || (req.signal?.aborted && name !== 'TimeoutError')) {
      return new LifeTimeAbortedError(base);
    }
    if (name === 'TimeoutError') {
      // The caller's own AbortSignal.timeout() also surfaces as a got TimeoutError: then timeoutMs is not ours.
      return new LifeTimeTimeoutError({ ...base, timeoutMs: req.signal?.aborted ? undefined : this.timeoutMs });
    }
    if (code === 'ERR_PROXY_AUTH') {
      return new LifeTimeNetworkError({
        ...base,
        errorCode: code,
        detail: `${detail} (check the proxy credentials)`,
        retryable: false,
      });
    }
    if (code && TLS_ERROR.test(code)) {
      const hint = this.caFile ? 'check caFile' : 'set caFile to the CA bundle that signed the LifeTime certificate';
      return new LifeTimeNetworkError({ ...base, errorCode: code, detail: `${detail} (${hint})`, retryable: false });
    }
    // Anything else from the transport (refused, reset, DNS, proxy, broken stream): a retry may help.
    // ERR_GOT_REQUEST_ERROR without a system code is a local problem (bad option/header): not retryable.
    const retryable = code !== undefined && code !== 'ERR_GOT_REQUEST_ERROR';
    return new LifeTimeNetworkError({ ...base, errorCode: code, detail, retryable });
  }

  toJSON(): Record<string, unknown> {
    return {
      baseUrl: this.baseUrl,
      timeoutMs: this.timeoutMs,
      retryLimit: this.retryLimit,
      maxRetryAfterMs: this.maxRetryAfterMs,
      userAgent: this.userAgent,
      proxy: this.proxyHost,
      caFile: this.caFile,
      token: '[redacted]',
    };
  }
}

function throwing(e: LifeTimeError): never {
  throw e;
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0) throw new TypeError(`${name}: expected a positive number of milliseconds`);
  return v;
}

function nonNegative(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0) throw new TypeError(`${name}: expected a number ≥ 0`);
  return v;
}
