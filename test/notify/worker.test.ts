/**
 * The worker process and its notification settings: a bad URL or secret stops it at start (exit 2) naming the
 * variable and never printing the value; with good settings it starts and logs which channels are on, by name only.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NOTIFY_ENV } from '../../src/notify/config';
import {
  cleanUpAfterAll,
  killAll,
  spawnWorker,
  startWorkerProcess,
  tempDir,
  useDevServer,
  workerEnv,
  type DevServerWithClient,
} from '../e2e/processes';

jest.setTimeout(180_000);

const SLACK = 'https://hooks.slack.com/services/T0S3CR3T/B0S3CR3T/S3CR3Tslacktoken';
const TEAMS = 'https://prod-1.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=S3CR3Tsig';
const SECRET = `whsec_${Buffer.from('S3CR3T-worker-test-secret-0123456789').toString('base64')}`;

afterEach(() => killAll(), 30_000);
cleanUpAfterAll();

test('a bad Slack URL and a bad webhook secret: exit 2, both variables named, no value printed', async () => {
  const secretFile = path.join(tempDir(), 'webhook-secret');
  writeFileSync(secretFile, 'S3CR3T-not-a-whsec-secret\n', { mode: 0o600 });
  const child = spawnWorker(
    workerEnv({
      temporalAddress: '127.0.0.1:1', // never reached: the configuration stops it first
      lifetimeUrl: 'http://127.0.0.1:9',
      token: 'tok-123456',
      taskQueue: 'notify-config',
      env: {
        [NOTIFY_ENV.slackUrl]: 'hooks.slack.com/services/S3CR3T with spaces',
        [NOTIFY_ENV.webhookUrl]: 'https://hooks.example.com/S3CR3T',
        [`${NOTIFY_ENV.webhookSecret}_FILE`]: secretFile,
      },
    }),
  );
  const exit = await child.exited;
  expect(exit.code).toBe(2);
  const err = child.stderr();
  expect(err).toContain('lifetime-deploy worker: invalid configuration:');
  expect(err).toMatch(/^ {2}LIFETIME_DEPLOY_SLACK_WEBHOOK_URL: not a valid http\(s\) URL \(value hidden\)/m);
  expect(err).toMatch(/^ {2}LIFETIME_DEPLOY_WEBHOOK_SECRET_FILE: not a Standard Webhooks secret \(value hidden\)/m);
  expect(child.output()).not.toContain('S3CR3T');
});

describe('with a Temporal server', () => {
  let dev: DevServerWithClient;
  useDevServer((started) => (dev = started));

  test('good settings: the worker starts and logs its channels by name, never a URL or the secret', async () => {
    const child = await startWorkerProcess({
      temporalAddress: dev.server.address,
      lifetimeUrl: 'http://127.0.0.1:9', // unreachable: logged, and the worker runs anyway
      token: 'tok-123456',
      taskQueue: 'notify-worker',
      env: {
        [NOTIFY_ENV.slackUrl]: SLACK,
        [NOTIFY_ENV.teamsUrl]: TEAMS,
        [NOTIFY_ENV.webhookUrl]: 'https://hooks.example.com/S3CR3T',
        [NOTIFY_ENV.webhookSecret]: SECRET,
        [NOTIFY_ENV.uiUrl]: 'http://localhost:8233',
        [NOTIFY_ENV.reminderMinutes]: '60',
      },
    });
    const line = await child.waitFor('"notifications on"', { timeoutMs: 30_000 });
    const entry = JSON.parse(line.split('\n').find((l) => l.includes('"notifications on"'))!) as Record<
      string,
      unknown
    >;
    expect(entry).toMatchObject({
      level: 'INFO',
      message: 'notifications on',
      channels: ['webhook', 'slack', 'teams'],
      reminderMinutes: 60,
      uiUrl: 'http://localhost:8233',
    });
    expect(child.output()).not.toContain('S3CR3T');
    expect(child.output()).not.toContain(SECRET);
  });
});
