/**
 * `deploy --window` / `--not-before` at the start path: bad values are refused before anything connects (exit 2),
 * naming the flag, the value and the accepted forms; good ones reach the workflow input as given. The README's
 * window example is a valid request.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';
import { ExitCode } from '../../src/cli/common';
import { buildRequest, type DeployFlags } from '../../src/starter';

const base: DeployFlags = { app: ['EmployeeBackoffice'], from: 'Development', to: 'Production', requestedBy: 'ci' };

/** Runs the CLI in-process with no Temporal to reach: input errors must come first. */
async function cli(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await runCli(
    args,
    { out: () => undefined, err: (s) => (err += `${s}\n`) },
    {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    },
  );
  return { code, err };
}

const deploy = ['deploy', '--app', 'EmployeeBackoffice', '--from', 'Development', '--to', 'Production'];

test.each([
  ['Sat 22:00-Sun 02:00 Europe/Lisbo', /--window: "Europe\/Lisbo" is not a known IANA time zone/],
  ['Sat 22:00-Sun 02:00', /--window: it matches none of the accepted forms/],
  ['Sat 26:00-Sun 02:00 UTC', /--window: times must be HH:MM/],
  ['cron:0 22 * * 6 for 4h Mars/Base', /--window: "Mars\/Base" is not a known IANA time zone/],
  ['cron:0 25 * * 6 for 4h UTC', /--window: the cron expression "0 25 \* \* 6" is not valid/],
])('--window %j is refused with exit 2, the value and the accepted forms', async (value, why) => {
  const r = await cli([...deploy, '--window', value]);
  expect(r.code).toBe(ExitCode.InvalidInput);
  expect(r.err).toMatch(why);
  expect(r.err).toContain(`(got ${JSON.stringify(value)})`);
  expect(r.err).toContain(
    'accepted: <Day> HH:MM-[<Day>] HH:MM <zone> (weekly, e.g. "Sat 22:00-Sun 02:00 Europe/Lisbon")',
  );
  expect(r.err).toContain('cron:<minute hour day-of-month month day-of-week> for <duration> <zone>');
  expect(r.err).not.toMatch(/connect|ECONNREFUSED/i);
});

test.each(['2026-12-12T22:00', 'next saturday', '2026-02-30T22:00Z'])(
  '--not-before %j is refused with exit 2',
  async (value) => {
    const r = await cli([...deploy, '--not-before', value]);
    expect(r.code).toBe(ExitCode.InvalidInput);
    expect(r.err).toMatch(/--not-before: it is not/);
    expect(r.err).toContain(`(got ${JSON.stringify(value)})`);
    expect(r.err).toContain('accepted: an ISO-8601 instant with a time zone offset');
  },
);

test('--on-intervention deployment_prepared=window needs a window; window is only for deployment_prepared', async () => {
  let r = await cli([...deploy, '--on-intervention', 'deployment_prepared=window']);
  expect(r.code).toBe(ExitCode.InvalidInput);
  expect(r.err).toMatch(/--on-intervention: "window" needs a deployment window/);
  r = await cli([...deploy, '--window', '22:00-02:00 UTC', '--on-intervention', 'deployment_suspended=window']);
  expect(r.code).toBe(ExitCode.InvalidInput);
  expect(r.err).toMatch(/--on-intervention: "window" is only for deployment_prepared/);
  // A release takes no window: its stages would start at once.
  r = await cli([
    'promote',
    '--app',
    'EmployeeBackoffice',
    '--through',
    'Development,Production',
    '--on-intervention',
    'deployment_prepared=window',
  ]);
  expect(r.code).toBe(ExitCode.InvalidInput);
  expect(r.err).toMatch(/"window" needs a deployment window, which a release does not take/);
});

test('valid windows reach the workflow input as given', () => {
  expect(buildRequest({ ...base, window: 'Sat 22:00-Sun 02:00 Europe/Lisbon' })).toMatchObject({
    window: 'Sat 22:00-Sun 02:00 Europe/Lisbon',
  });
  expect(
    buildRequest({
      ...base,
      window: 'cron:0 22 * * 6 for 4h Europe/Lisbon',
      notBefore: '2026-12-12T00:00:00Z',
      onIntervention: ['deployment_prepared=window'],
    }),
  ).toMatchObject({
    window: 'cron:0 22 * * 6 for 4h Europe/Lisbon',
    notBefore: '2026-12-12T00:00:00Z',
    policies: { intervention: { deployment_prepared: 'window' } },
  });
  expect(buildRequest(base)).not.toHaveProperty('window');
});

test('the README: the "Deployment windows" command and every example in its table are valid requests', () => {
  const readme = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Deployment windows\n')).split(/\n## (?!Deployment windows)/)[0]!;
  const windows = [...section.matchAll(/--window "([^"]+)"/g)].map((m) => m[1]!);
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split('|').map((c) => c.trim().replace(/^`|`$/g, '')));
  const notBefore = rows.filter((r) => r[1]!.startsWith('--not-before')).map((r) => r[2]!);
  windows.push(...rows.filter((r) => !r[1]!.startsWith('--not-before')).map((r) => r[2]!));
  expect(windows).toHaveLength(4);
  expect(notBefore).toHaveLength(1);
  for (const window of windows) expect(() => buildRequest({ ...base, window })).not.toThrow();
  for (const nb of notBefore) expect(() => buildRequest({ ...base, notBefore: nb })).not.toThrow();
});
