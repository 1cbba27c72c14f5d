/**
 * Notification settings of the worker, from the environment (or files): the channels (generic webhook with its
 * Standard Webhooks secret, Slack, Teams), the Temporal UI's base URL for links, and the reminder interval.
 *
 * Channel URLs are secrets (Slack's and Teams' URLs carry their credential in the path or query), like the webhook
 * secret: they are read here, kept in non-enumerable properties (out of JSON, logs and `inspect`), and never printed,
 * not even in an error about them ("(value hidden)"). Each may come from `<VAR>` or from the file `<VAR>_FILE` names
 * (trimmed); the variable wins when both are set, as for LIFETIME_TOKEN.
 */
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { parseHttpUrl } from '../lifetime/url';
import { CHANNELS, type ChannelName, type NotificationSettingsView } from './event';

export const NOTIFY_ENV = {
  webhookUrl: 'LIFETIME_DEPLOY_WEBHOOK_URL',
  webhookSecret: 'LIFETIME_DEPLOY_WEBHOOK_SECRET',
  slackUrl: 'LIFETIME_DEPLOY_SLACK_WEBHOOK_URL',
  teamsUrl: 'LIFETIME_DEPLOY_TEAMS_WEBHOOK_URL',
  uiUrl: 'LIFETIME_DEPLOY_UI_URL',
  reminderMinutes: 'LIFETIME_DEPLOY_REMINDER_MINUTES',
} as const;

/** Every 4 hours: a 24-hour gate is reminded of 5 times before its deadline. */
export const DEFAULT_REMINDER_MINUTES = 240;
/** One week. */
export const MAX_REMINDER_MINUTES = 10_080;
/** Standard Webhooks: an HMAC secret of 24 to 64 random bytes. */
export const WEBHOOK_SECRET_BYTES = { min: 24, max: 64 } as const;

/** A channel's receiver; `url` is non-enumerable. */
export interface ChannelTarget {
  readonly url: string;
}
/** The generic webhook's receiver; `url` and `secret` are non-enumerable. */
export interface WebhookTarget extends ChannelTarget {
  readonly secret: string;
}

export interface NotifySettings extends NotificationSettingsView {
  webhook?: WebhookTarget;
  slack?: ChannelTarget;
  teams?: ChannelTarget;
  /** The Temporal UI's base URL (no trailing slash), for links to a workflow. */
  uiUrl?: string;
  /** Names and non-secret settings only. */
  toJSON(): { channels: ChannelName[]; reminderMinutes: number; uiUrl?: string };
}

type Env = Record<string, string | undefined>;

/** A value from `<name>` or, when that is unset or empty, from the file `<name>_FILE`; `from` names the source. */
function readVar(env: Env, name: string, problems: string[]): { value: string; from: string } | undefined {
  const direct = env[name]?.trim();
  if (direct) return { value: direct, from: name };
  const fileVar = `${name}_FILE`;
  const file = env[fileVar];
  if (!file) return undefined;
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (value) return { value, from: fileVar };
    problems.push(`${fileVar}: the file ${file} is empty`);
  } catch (err) {
    problems.push(`${fileVar}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return undefined;
}

const HOST = /^(\[[0-9a-f:.]+\]|[\p{L}\p{N}_-]+(\.[\p{L}\p{N}_-]+)*\.?)$/iu;

/** A receiver URL (a secret): http(s) with a real host name; the message never shows the value. */
function receiverUrl(v: { value: string; from: string }, example: string, problems: string[]): string | undefined {
  const problem = `${v.from}: not a valid http(s) URL (value hidden); expected e.g. ${example}`;
  if (/\s/.test(v.value)) {
    problems.push(problem);
    return undefined;
  }
  try {
    const url = parseHttpUrl(v.value, 'https', v.from, example);
    if (!HOST.test(url.hostname)) throw new TypeError('host');
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(v.value) ? v.value : url.href; // as given (a default port kept)
  } catch {
    problems.push(problem);
    return undefined;
  }
}

/** The secret when it is a valid Standard Webhooks secret (`whsec_` + base64 of 24–64 bytes), else a problem. */
function webhookSecret(v: { value: string; from: string }, problems: string[]): string | undefined {
  const { min, max } = WEBHOOK_SECRET_BYTES;
  let ok = v.value.startsWith('whsec_');
  if (ok) {
    try {
      new Webhook(v.value); // the library's own parsing of the secret
      const bytes = Buffer.from(v.value.slice('whsec_'.length), 'base64').length;
      ok = bytes >= min && bytes <= max;
    } catch {
      ok = false;
    }
  }
  if (ok) return v.value;
  problems.push(
    `${v.from}: not a Standard Webhooks secret (value hidden); expected whsec_ followed by the base64 of ` +
      `${min} to ${max} random bytes, e.g. from: node -e "console.log('whsec_'+crypto.randomBytes(32).toString('base64'))"`,
  );
  return undefined;
}

/** The Temporal UI's base URL (not a secret: shown in messages): http(s), no credentials, query or fragment. */
function uiUrl(raw: string | undefined, problems: string[]): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const name = NOTIFY_ENV.uiUrl;
  const problem = `${name}: must be the Temporal UI's http(s) base URL, e.g. http://localhost:8233 (got ${JSON.stringify(value)})`;
  try {
    if (/\s/.test(value)) throw new TypeError('space');
    const url = parseHttpUrl(value, 'http', name, 'http://localhost:8233');
    if (!HOST.test(url.hostname) || url.username || url.password || url.search || url.hash) throw new TypeError('form');
    return url.href.replace(/\/+$/, '');
  } catch {
    problems.push(problem);
    return undefined;
  }
}

function reminderMinutes(raw: string | undefined, problems: string[]): number {
  const value = raw?.trim();
  if (!value) return DEFAULT_REMINDER_MINUTES;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (Number.isInteger(n) && n <= MAX_REMINDER_MINUTES) return n;
  problems.push(
    `${NOTIFY_ENV.reminderMinutes}: must be a whole number of minutes from 0 (no reminders) to ` +
      `${MAX_REMINDER_MINUTES} (got ${JSON.stringify(value)})`,
  );
  return DEFAULT_REMINDER_MINUTES;
}

/** An object whose listed properties are non-enumerable (kept out of JSON.stringify, logs and util.inspect). */
function hidden<T extends object>(values: T): T {
  const target = {} as T;
  for (const [k, v] of Object.entries(values)) Object.defineProperty(target, k, { value: v, enumerable: false });
  return target;
}

/**
 * Reads the notification settings. Returns the settings and the problems found (one line per variable at fault,
 * naming it and what it accepts; secret values are never shown). With problems, the settings are not to be used.
 */
export function readNotifySettings(env: Env = process.env): { settings: NotifySettings; problems: string[] } {
  const problems: string[] = [];
  const webhookUrlVar = readVar(env, NOTIFY_ENV.webhookUrl, problems);
  const secretVar = readVar(env, NOTIFY_ENV.webhookSecret, problems);
  const slackVar = readVar(env, NOTIFY_ENV.slackUrl, problems);
  const teamsVar = readVar(env, NOTIFY_ENV.teamsUrl, problems);

  let webhook: WebhookTarget | undefined;
  if (webhookUrlVar && !secretVar && !problems.some((p) => p.startsWith(NOTIFY_ENV.webhookSecret))) {
    problems.push(
      `${NOTIFY_ENV.webhookSecret} (or ${NOTIFY_ENV.webhookSecret}_FILE): required with ${NOTIFY_ENV.webhookUrl} ` +
        '(the whsec_… secret the receiver verifies signatures with)',
    );
  }
  if (secretVar && !webhookUrlVar && !problems.some((p) => p.startsWith(NOTIFY_ENV.webhookUrl))) {
    problems.push(
      `${NOTIFY_ENV.webhookUrl} (or ${NOTIFY_ENV.webhookUrl}_FILE): required with ${NOTIFY_ENV.webhookSecret} ` +
        '(the receiver to sign messages for)',
    );
  }
  const url = webhookUrlVar && receiverUrl(webhookUrlVar, 'https://hooks.example.com/lifetime-deploy', problems);
  const secret = secretVar && webhookSecret(secretVar, problems);
  if (url && secret) webhook = hidden({ url, secret });
  const slackUrl = slackVar && receiverUrl(slackVar, 'https://hooks.slack.com/services/T…/B…/…', problems);
  const teamsUrl =
    teamsVar &&
    receiverUrl(
      teamsVar,
      'the HTTP URL of a Teams Workflows "When a Teams webhook request is received" trigger',
      problems,
    );
  const slack = slackUrl ? hidden({ url: slackUrl }) : undefined;
  const teams = teamsUrl ? hidden({ url: teamsUrl }) : undefined;
  const ui = uiUrl(env[NOTIFY_ENV.uiUrl], problems);
  const reminders = reminderMinutes(env[NOTIFY_ENV.reminderMinutes], problems);

  const targets: Record<ChannelName, ChannelTarget | undefined> = { webhook, slack, teams };
  const channels = CHANNELS.filter((c) => targets[c] !== undefined);
  const settings: NotifySettings = {
    ...(webhook ? { webhook } : {}),
    ...(slack ? { slack } : {}),
    ...(teams ? { teams } : {}),
    ...(ui ? { uiUrl: ui } : {}),
    reminderMinutes: reminders,
    channels,
    toJSON() {
      return { channels, reminderMinutes: reminders, ...(ui ? { uiUrl: ui } : {}) };
    },
  };
  return { settings, problems };
}
