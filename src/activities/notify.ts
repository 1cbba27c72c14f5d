/**
 * Notification delivery: one event to one channel per activity call. The message is built by src/notify (pure); here
 * it is sent: the generic webhook signed as Standard Webhooks says (with the standardwebhooks library), Slack through
 * @slack/webhook's IncomingWebhook, Teams as a JSON POST to a Workflows webhook.
 *
 * Delivery never hurts the deployment, and never shows a secret: a receiver that is down or answers 408/429/5xx gives
 * a retryable failure (the workflow's bounded retry policy, NOTIFY_ACTIVITY_OPTIONS, gives up after a few minutes); a
 * refusal (3xx, other 4xx) a non-retryable one. Failure messages say the channel and the receiver's status, never the
 * URL (Slack and Teams URLs carry their credential); nothing from the HTTP libraries' errors is passed on but a code.
 */
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { activityInfo, ApplicationFailure, cancellationSignal, log } from '@temporalio/activity';
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook';
import type { Got } from 'got' with { 'resolution-mode': 'import' };
import { Webhook } from 'standardwebhooks';
import { DEFAULT_USER_AGENT, parseRetryAfter } from '../lifetime/http';
import type { NotifySettings } from '../notify/config';
import type { ChannelName, NotificationRecord, NotificationSettingsView, NotifyInput } from '../notify/event';
import { NOTIFY_REQUEST_TIMEOUT_MS, type NotifyFailureDetails, type NotifyFailureType } from '../notify/policy';
import type { RenderContext } from '../notify/render';
import { buildSlackMessage, type SlackMessage } from '../notify/slack';
import { buildTeamsMessage } from '../notify/teams';
import { buildWebhookBody } from '../notify/webhook';

/** The longest Retry-After honoured as the next retry's delay. */
const MAX_RETRY_AFTER_MS = 60_000;
/** Characters kept of a receiver's answer in a failure message. */
const ANSWER_MAX = 120;

/**
 * The `webhook-id` of an event: `msg_` and the base64url SHA-256 of the event id. The same on every attempt; the
 * event id itself (in the body's `id`) holds the workflow ID, which a person chose and may contain the `.` that the
 * Standard Webhooks spec forbids in a message id.
 */
export function webhookMessageId(eventId: string): string {
  return `msg_${createHash('sha256').update(eventId).digest('base64url')}`;
}

/** What one attempt came to. */
interface Attempt {
  status?: number;
  /** A transport error code (ECONNREFUSED, ETIMEDOUT, …) when there was no answer. */
  code?: string;
  /** The receiver's answer (first line, clipped, secrets removed). */
  answer?: string;
  retryAfterMs?: number;
}

let gotModule: Promise<Got> | undefined;
const loadGot = (): Promise<Got> => (gotModule ??= import('got').then((m) => m.default));

/** Replaces every part of the receiver's URL (and the secret) that could be a credential. */
function redactor(url: string, secret?: string): (text: string) => string {
  const u = new URL(url);
  const parts = [
    url,
    `${u.host}${u.pathname}`,
    u.pathname,
    u.search,
    ...u.pathname.split('/'),
    ...[...u.searchParams.values()],
    ...(secret ? [secret, secret.replace(/^whsec_/, '')] : []),
  ]
    .filter((p) => p.length >= 6)
    .sort((a, b) => b.length - a.length);
  return (text) => parts.reduce((t, p) => t.split(p).join('[hidden]'), text);
}

/** A short, safe excerpt of a receiver's answer (Slack answers e.g. `invalid_blocks`). */
function answerOf(body: string | undefined, redact: (t: string) => string): string | undefined {
  const first = body?.trim().split('\n')[0]?.trim();
  if (!first) return undefined;
  const safe = redact(first).replace(/[\p{Cc}]/gu, ' ');
  return safe.length > ANSWER_MAX ? `${safe.slice(0, ANSWER_MAX - 1)}…` : safe;
}

/** A Retry-After header as the next retry's delay, at most MAX_RETRY_AFTER_MS. */
function retryAfter(value: string | string[] | null | undefined): number | undefined {
  const ms = parseRetryAfter((Array.isArray(value) ? value[0] : value) ?? undefined);
  return ms === undefined ? undefined : Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** The transport error's code (never its message, which may hold the URL). */
function errorCode(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { name, code } = e as { name?: unknown; code?: unknown };
    if (name === 'TimeoutError') return 'ETIMEDOUT';
    if (name === 'AbortError') return 'ABORTED';
    // System and TLS codes (ECONNREFUSED, UND_ERR_SOCKET, CERT_HAS_EXPIRED, …): upper-case names, never a URL.
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{2,}$/.test(code)) return code;
    e = (e as { original?: unknown; cause?: unknown }).original ?? (e as { cause?: unknown }).cause;
  }
  return 'ERROR';
}

/** 2xx delivered; 408, 429 and 5xx (and no answer at all) worth another try; anything else refused. */
const isRetryable = (a: Attempt): boolean =>
  a.status === undefined || a.status === 408 || a.status === 429 || a.status >= 500;

function failure(channel: ChannelName, a: Attempt, attempt: number, timeoutMs: number): ApplicationFailure {
  const details: NotifyFailureDetails = { channel, attempt, ...(a.status !== undefined ? { status: a.status } : {}) };
  const answered = a.status !== undefined ? `${a.status} ${STATUS_CODES[a.status] ?? ''}`.trim() : undefined;
  const said = a.answer ? ` (${JSON.stringify(a.answer)})` : '';
  if (!answered) {
    const what =
      a.code === 'ETIMEDOUT'
        ? `no answer from the receiver within ${timeoutMs / 1000} s`
        : `receiver unreachable (${a.code})`;
    return ApplicationFailure.create({
      type: 'NotificationFailed' satisfies NotifyFailureType,
      message: `${channel}: ${what}`,
      details: [details],
    });
  }
  if (isRetryable(a)) {
    return ApplicationFailure.create({
      type: 'NotificationFailed' satisfies NotifyFailureType,
      message: `${channel}: receiver answered ${answered}${said}`,
      details: [details],
      nextRetryDelay: a.retryAfterMs,
    });
  }
  const hint = a.status! >= 300 && a.status! < 400 ? '; redirects are not followed: set the final URL' : '';
  return ApplicationFailure.create({
    type: 'NotificationRejected' satisfies NotifyFailureType,
    message: `${channel}: receiver refused the message: answered ${answered}${said}${hint}`,
    details: [details],
    nonRetryable: true,
  });
}

/** How one request is made: its timeout, and how to remove the receiver's secrets from its answer. */
interface RequestOptions {
  timeoutMs: number;
  redact: (text: string) => string;
}

/** POSTs a JSON body with got (no redirects, no got retries: Temporal retries the activity). */
async function postJson(url: string, body: string, headers: Record<string, string>, o: RequestOptions) {
  const got = await loadGot();
  try {
    const res = await got.post(url, {
      body,
      headers: { 'content-type': 'application/json', 'user-agent': DEFAULT_USER_AGENT, ...headers },
      timeout: { request: o.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      responseType: 'text',
      signal: cancellationSignal(),
    });
    return {
      status: res.statusCode,
      answer: answerOf(res.body, o.redact),
      retryAfterMs: retryAfter(res.headers['retry-after']),
    } satisfies Attempt;
  } catch (err) {
    return { code: errorCode(err) } satisfies Attempt;
  }
}

/**
 * Sends with @slack/webhook (its own retries off). Its `fetch` option is a thin wrapper that sees what the library
 * does not pass on: the answer's status and Retry-After, the transport error itself (the library may wrap it in a
 * new Error that keeps only the message), and a redirect as the 3xx answer it is (not followed).
 */
async function postSlack(url: string, message: SlackMessage, o: RequestOptions) {
  let answered: { status: number; retryAfter: string | null } | undefined;
  let transportError: unknown;
  const hook = new IncomingWebhook(url, {
    timeout: o.timeoutMs,
    retryConfig: { retries: 0 },
    fetch: async (input, init) => {
      const signal = init?.signal ? AbortSignal.any([init.signal, cancellationSignal()]) : cancellationSignal();
      try {
        const res = await fetch(input, { ...init, signal, redirect: 'manual' });
        answered = { status: res.status, retryAfter: res.headers.get('retry-after') };
        return res;
      } catch (err) {
        transportError = err;
        throw err;
      }
    },
  });
  try {
    await hook.send(message);
    return { status: answered?.status ?? 200 } satisfies Attempt;
  } catch (err) {
    if (err instanceof IncomingWebhookHTTPError) {
      return {
        status: err.statusCode,
        answer: answerOf(err.body, o.redact),
        retryAfterMs: retryAfter(answered?.retryAfter),
      } satisfies Attempt;
    }
    const cause = transportError ?? (err instanceof IncomingWebhookRequestError ? err.original : err);
    return { code: errorCode(cause) } satisfies Attempt;
  }
}

export const createNotifyActivities = (
  settings: NotifySettings,
  opts: {
    /** Per-request timeout (default NOTIFY_REQUEST_TIMEOUT_MS, 15 s). */
    requestTimeoutMs?: number;
  } = {},
) => {
  const signer = settings.webhook ? new Webhook(settings.webhook.secret) : undefined;
  const timeoutMs = opts.requestTimeoutMs ?? NOTIFY_REQUEST_TIMEOUT_MS;
  const request = (url: string, secret?: string): RequestOptions => ({ timeoutMs, redact: redactor(url, secret) });

  async function send(input: NotifyInput, ctx: RenderContext): Promise<Attempt | undefined> {
    const { channel, event } = input;
    switch (channel) {
      case 'webhook': {
        const target = settings.webhook;
        if (!target || !signer) return undefined;
        const body = JSON.stringify(buildWebhookBody(event, ctx));
        const id = webhookMessageId(event.id);
        const now = new Date();
        const headers = {
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signer.sign(id, now, body),
        };
        return postJson(target.url, body, headers, request(target.url, target.secret));
      }
      case 'slack': {
        const target = settings.slack;
        return target && postSlack(target.url, buildSlackMessage(event, ctx), request(target.url));
      }
      case 'teams': {
        const target = settings.teams;
        if (!target) return undefined;
        const body = JSON.stringify(buildTeamsMessage(event, ctx));
        return postJson(target.url, body, {}, request(target.url));
      }
    }
  }

  return {
    /** The configured channels and the reminder interval (no URLs, no secrets); cheap, for a local activity. */
    async notificationSettings(): Promise<NotificationSettingsView> {
      return { channels: [...settings.channels], reminderMinutes: settings.reminderMinutes };
    },

    /**
     * Delivers one event to one channel. Resolves with the record of the delivery; throws a `NotificationFailed`
     * (retryable) or `NotificationRejected` / `NotificationNotConfigured` (not) ApplicationFailure otherwise.
     */
    async notify(input: NotifyInput): Promise<NotificationRecord> {
      const info = activityInfo();
      const ctx: RenderContext = { namespace: info.namespace, ...(settings.uiUrl ? { uiUrl: settings.uiUrl } : {}) };
      const meta = { channel: input.channel, event: input.event.id, type: input.event.type, attempt: info.attempt };
      const a = await send(input, ctx);
      if (!a) {
        throw ApplicationFailure.create({
          type: 'NotificationNotConfigured' satisfies NotifyFailureType,
          message: `${input.channel}: not configured on this worker (configured: ${settings.channels.join(', ') || 'none'})`,
          details: [{ channel: input.channel, attempt: info.attempt } satisfies NotifyFailureDetails],
          nonRetryable: true,
        });
      }
      if (a.status !== undefined && a.status >= 200 && a.status < 300) {
        log.info('notification delivered', { ...meta, status: a.status });
        return {
          event: input.event.id,
          type: input.event.type,
          channel: input.channel,
          delivered: true,
          status: a.status,
          attempts: info.attempt,
          at: new Date().toISOString(),
        };
      }
      const err = failure(input.channel, a, info.attempt, timeoutMs);
      log.warn('notification not delivered', { ...meta, status: a.status, error: err.message });
      throw err;
    },
  };
};

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
