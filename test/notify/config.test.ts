/**
 * Notification settings: each bad variable gives a problem that names it and what it accepts, and never the URL or
 * the secret; the `_FILE` variants; webhook URL and secret both or neither; the defaults; secrets out of JSON and
 * `inspect`; and the worker configuration refusing them (ConfigError, the worker's exit 2).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { ConfigError, loadWorkerConfig } from '../../src/config';
import { DEFAULT_REMINDER_MINUTES, NOTIFY_ENV, readNotifySettings } from '../../src/notify/config';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const SLACK = 'https://hooks.slack.com/services/T0S3CR3T/B0S3CR3T/Xy9S3CR3Ttoken42';
const TEAMS =
  'https://prod-42.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=S3CR3Tsig0123';
const HOOK = 'https://hooks.example.com/lifetime?token=S3CR3Ttoken77';

let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'notify-config-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** The problems for an environment, checked to hold no secret value. */
function problems(env: Record<string, string>): string[] {
  const { problems: found } = readNotifySettings(env);
  for (const p of found) for (const secret of [SECRET, SLACK, TEAMS, HOOK, 'S3CR3T']) expect(p).not.toContain(secret);
  return found;
}

describe('defaults', () => {
  test('nothing set: no channels, no UI link, reminders every 240 minutes', () => {
    const { settings, problems: found } = readNotifySettings({});
    expect(found).toEqual([]);
    expect(settings.channels).toEqual([]);
    expect(settings.uiUrl).toBeUndefined();
    expect(settings.reminderMinutes).toBe(DEFAULT_REMINDER_MINUTES);
    expect(DEFAULT_REMINDER_MINUTES).toBe(240);
  });

  test('every channel set: all three on, in a fixed order, with their URLs and the secret', () => {
    const { settings, problems: found } = readNotifySettings({
      [NOTIFY_ENV.teamsUrl]: TEAMS,
      [NOTIFY_ENV.slackUrl]: SLACK,
      [NOTIFY_ENV.webhookUrl]: HOOK,
      [NOTIFY_ENV.webhookSecret]: SECRET,
      [NOTIFY_ENV.uiUrl]: 'http://localhost:8233/',
      [NOTIFY_ENV.reminderMinutes]: '0',
    });
    expect(found).toEqual([]);
    expect(settings.channels).toEqual(['webhook', 'slack', 'teams']);
    expect(settings.webhook).toMatchObject({ url: HOOK, secret: SECRET });
    expect(settings.slack?.url).toBe(SLACK);
    expect(settings.teams?.url).toBe(TEAMS);
    expect(settings.uiUrl).toBe('http://localhost:8233');
    expect(settings.reminderMinutes).toBe(0);
  });

  test('the URLs and the secret are kept out of JSON.stringify and util.inspect', () => {
    const { settings } = readNotifySettings({
      [NOTIFY_ENV.slackUrl]: SLACK,
      [NOTIFY_ENV.teamsUrl]: TEAMS,
      [NOTIFY_ENV.webhookUrl]: HOOK,
      [NOTIFY_ENV.webhookSecret]: SECRET,
    });
    const shown = [JSON.stringify(settings), inspect(settings, { depth: null }), JSON.stringify({ ...settings })];
    for (const text of shown) for (const secret of [SLACK, TEAMS, HOOK, SECRET]) expect(text).not.toContain(secret);
    expect(JSON.parse(JSON.stringify(settings))).toEqual({
      channels: ['webhook', 'slack', 'teams'],
      reminderMinutes: 240,
    });
  });
});

describe('each bad variable is named, with what it accepts, and its value hidden', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'a Slack URL that is not a URL',
      { [NOTIFY_ENV.slackUrl]: 'ht!tp://S3CR3T bad' },
      /^LIFETIME_DEPLOY_SLACK_WEBHOOK_URL: not a valid http\(s\) URL \(value hidden\); expected e\.g\. https:\/\/hooks\.slack\.com/,
    ],
    [
      'a Teams URL with another scheme',
      { [NOTIFY_ENV.teamsUrl]: 'ftp://S3CR3T.example.com/x' },
      /^LIFETIME_DEPLOY_TEAMS_WEBHOOK_URL: not a valid http\(s\) URL \(value hidden\)/,
    ],
    [
      'a webhook URL without its secret',
      { [NOTIFY_ENV.webhookUrl]: HOOK },
      /^LIFETIME_DEPLOY_WEBHOOK_SECRET \(or LIFETIME_DEPLOY_WEBHOOK_SECRET_FILE\): required with LIFETIME_DEPLOY_WEBHOOK_URL/,
    ],
    [
      'a secret without the webhook URL',
      { [NOTIFY_ENV.webhookSecret]: SECRET },
      /^LIFETIME_DEPLOY_WEBHOOK_URL \(or LIFETIME_DEPLOY_WEBHOOK_URL_FILE\): required with LIFETIME_DEPLOY_WEBHOOK_SECRET/,
    ],
    [
      'a secret without the whsec_ prefix',
      { [NOTIFY_ENV.webhookUrl]: HOOK, [NOTIFY_ENV.webhookSecret]: SECRET.slice('whsec_'.length) },
      /^LIFETIME_DEPLOY_WEBHOOK_SECRET: not a Standard Webhooks secret \(value hidden\); expected whsec_ followed by the base64 of 24 to 64 random bytes/,
    ],
    [
      'a secret that is not base64',
      { [NOTIFY_ENV.webhookUrl]: HOOK, [NOTIFY_ENV.webhookSecret]: 'whsec_S3CR3T!!not-base64' },
      /^LIFETIME_DEPLOY_WEBHOOK_SECRET: not a Standard Webhooks secret \(value hidden\)/,
    ],
    [
      'a secret of fewer than 24 bytes',
      {
        [NOTIFY_ENV.webhookUrl]: HOOK,
        [NOTIFY_ENV.webhookSecret]: `whsec_${Buffer.from('S3CR3T-short').toString('base64')}`,
      },
      /^LIFETIME_DEPLOY_WEBHOOK_SECRET: not a Standard Webhooks secret \(value hidden\)/,
    ],
    [
      'a UI URL with a query string',
      { [NOTIFY_ENV.uiUrl]: 'http://localhost:8233/?x=1' },
      /^LIFETIME_DEPLOY_UI_URL: must be the Temporal UI's http\(s\) base URL, e\.g\. http:\/\/localhost:8233 \(got "http:\/\/localhost:8233\/\?x=1"\)/,
    ],
    [
      'a UI URL that is not one',
      { [NOTIFY_ENV.uiUrl]: 'mailto:ops@example.com' },
      /^LIFETIME_DEPLOY_UI_URL: must be the Temporal UI's http\(s\) base URL/,
    ],
    [
      'a reminder interval that is not a whole number',
      { [NOTIFY_ENV.reminderMinutes]: '1.5' },
      /^LIFETIME_DEPLOY_REMINDER_MINUTES: must be a whole number of minutes from 0 \(no reminders\) to 10080 \(got "1\.5"\)/,
    ],
    [
      'a reminder interval over a week',
      { [NOTIFY_ENV.reminderMinutes]: '10081' },
      /^LIFETIME_DEPLOY_REMINDER_MINUTES: must be a whole number of minutes from 0 \(no reminders\) to 10080/,
    ],
  ];
  test.each(cases)('%s', (_name, env, expected) => {
    const found = problems(env);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(expected);
  });

  test('a valid secret is one the standardwebhooks library accepts, and signs with', () => {
    expect(problems({ [NOTIFY_ENV.webhookUrl]: HOOK, [NOTIFY_ENV.webhookSecret]: SECRET })).toEqual([]);
    expect(new Webhook(SECRET).sign('msg_1', new Date(0), '{}')).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  test('several bad variables: one line each', () => {
    const found = problems({
      [NOTIFY_ENV.slackUrl]: 'nope nope',
      [NOTIFY_ENV.teamsUrl]: 'ftp://x',
      [NOTIFY_ENV.reminderMinutes]: '-1',
    });
    expect(found.map((p) => p.split(':')[0])).toEqual([
      'LIFETIME_DEPLOY_SLACK_WEBHOOK_URL',
      'LIFETIME_DEPLOY_TEAMS_WEBHOOK_URL',
      'LIFETIME_DEPLOY_REMINDER_MINUTES',
    ]);
  });
});

describe('_FILE variants', () => {
  test('each URL and the secret can come from a file (trimmed)', () => {
    const { settings, problems: found } = readNotifySettings({
      [`${NOTIFY_ENV.slackUrl}_FILE`]: file('slack', `${SLACK}\n`),
      [`${NOTIFY_ENV.teamsUrl}_FILE`]: file('teams', `  ${TEAMS}  \n`),
      [`${NOTIFY_ENV.webhookUrl}_FILE`]: file('hook', HOOK),
      [`${NOTIFY_ENV.webhookSecret}_FILE`]: file('secret', `${SECRET}\n`),
    });
    expect(found).toEqual([]);
    expect(settings.channels).toEqual(['webhook', 'slack', 'teams']);
    expect([settings.slack?.url, settings.teams?.url, settings.webhook?.url]).toEqual([SLACK, TEAMS, HOOK]);
    expect(settings.webhook?.secret).toBe(SECRET);
  });

  test('the variable wins over its file', () => {
    const { settings } = readNotifySettings({
      [NOTIFY_ENV.slackUrl]: SLACK,
      [`${NOTIFY_ENV.slackUrl}_FILE`]: file('other', 'https://hooks.slack.com/services/other'),
    });
    expect(settings.slack?.url).toBe(SLACK);
  });

  test('a missing file, an empty file, and bad content are named by the _FILE variable', () => {
    const missing = path.join(dir, 'does-not-exist');
    expect(problems({ [`${NOTIFY_ENV.slackUrl}_FILE`]: missing })).toEqual([
      `LIFETIME_DEPLOY_SLACK_WEBHOOK_URL_FILE: cannot read ${missing} (ENOENT)`,
    ]);
    const empty = file('empty', ' \n');
    expect(problems({ [`${NOTIFY_ENV.teamsUrl}_FILE`]: empty })).toEqual([
      `LIFETIME_DEPLOY_TEAMS_WEBHOOK_URL_FILE: the file ${empty} is empty`,
    ]);
    const [bad] = problems({
      [NOTIFY_ENV.webhookUrl]: HOOK,
      [`${NOTIFY_ENV.webhookSecret}_FILE`]: file('bad-secret', 'S3CR3T-plain-password'),
    });
    expect(bad).toMatch(/^LIFETIME_DEPLOY_WEBHOOK_SECRET_FILE: not a Standard Webhooks secret \(value hidden\)/);
  });

  test('an unreadable secret file is reported once (not also as a missing secret)', () => {
    const missing = path.join(dir, 'no-secret');
    expect(problems({ [NOTIFY_ENV.webhookUrl]: HOOK, [`${NOTIFY_ENV.webhookSecret}_FILE`]: missing })).toEqual([
      `LIFETIME_DEPLOY_WEBHOOK_SECRET_FILE: cannot read ${missing} (ENOENT)`,
    ]);
  });
});

describe('the worker configuration', () => {
  const base = { LIFETIME_URL: 'http://127.0.0.1:9', LIFETIME_TOKEN: 'tok-123456' };

  test('carries the notification settings, and its JSON shows channel names only', () => {
    const cfg = loadWorkerConfig({ ...base, [NOTIFY_ENV.slackUrl]: SLACK }, { skipTemporal: true });
    expect(cfg.notify.channels).toEqual(['slack']);
    const json = JSON.stringify(cfg);
    expect(json).toContain('"notify":{"channels":["slack"],"reminderMinutes":240}');
    expect(json).not.toContain(SLACK);
  });

  test('a bad notification setting is a ConfigError naming it, listed with the other problems', () => {
    let err: unknown;
    try {
      loadWorkerConfig({ LIFETIME_TOKEN: 'tok-123456', [NOTIFY_ENV.slackUrl]: 'S3CR3T nope' }, { skipTemporal: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toMatch(/^ {2}LIFETIME_URL: required/m);
    expect(message).toMatch(/^ {2}LIFETIME_DEPLOY_SLACK_WEBHOOK_URL: not a valid http\(s\) URL \(value hidden\)/m);
    expect(message).not.toContain('S3CR3T');
  });
});
