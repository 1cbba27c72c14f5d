/**
 * Scheduled deployments with real processes (dev server, simulator over HTTP, worker, the CLI as a child process):
 * `schedule create --every 1m -- deploy …`, one run started with `schedule trigger` and the next one by the interval
 * itself: two deployment workflows whose IDs are derived from the schedule and the scheduled time, two plans in
 * LifeTime, both succeeded; `list`, `pause --note`, `unpause`, `delete`; a cron schedule in a time zone whose next
 * runs (from the server) are the ones cron-parser computes, and `trigger` skipped by the overlap policy; a schedule of
 * a release (`-- promote …`); the README's example run as printed; and bad flags: exit 2 naming the flag and the
 * value, no schedule created.
 */
import type { Client, ScheduleDescription } from '@temporalio/client';
import { ExitCode } from '../../src/cli/common';
import type { DevServer } from '../../src/dev/dev-server';
import { searchAttributes as sa, type DeployResult } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/release-messages';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import * as path from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import {
  EB,
  eventually,
  ROOT,
  runCli,
  expectExit,
  FAST,
  show,
  startStack,
  useDevServer,
  type Stack,
} from './processes';

jest.setTimeout(300_000);

let server: DevServer;
let client: Client;
useDevServer((started) => ({ server, client } = started));

const scheduleIds = async (): Promise<string[]> => {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) ids.push(s.scheduleId);
  return ids;
};

/** `<prefix>-<RFC 3339 time, seconds, UTC>`: what Temporal makes of the action's workflow ID. */
const RUN_ID = (prefix: string) => new RegExp(`^${prefix}-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`);

describe('schedule create / trigger / list / pause / delete', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(server, { speed: 400 });
  }, 180_000);

  test('one run by trigger and one by the 1-minute interval: two deployments with derived IDs, two plans; then deleted', async () => {
    const id = 'quality-refresh';
    // No $USER (a container or CI runner): the creator is still recorded (the OS account).
    const create = await runCli(
      [
        'schedule',
        'create',
        id,
        '--every',
        '1m',
        '--paused',
        '--note',
        'set up',
        '--',
        'deploy',
        ...EB,
        ...FAST,
        '--notes',
        'nightly refresh',
      ],
      { ...s.cliEnv, USER: undefined },
    );
    expectExit(create, ExitCode.Success);
    expect(create.stdout.trim()).toBe(id);
    expect(create.stderr).toContain('every 1m');

    // The schedule as Temporal holds it: the deploy command's workflow type, task queue, summary, overlap skip; no secret.
    const d: ScheduleDescription = await client.schedule.getHandle(id).describe();
    expect(d.action.workflowType).toBe('deployApplications');
    expect(d.action.workflowId).toBe(`deploy-schedule-${id}`);
    expect(d.action.taskQueue).toBe(s.taskQueue);
    expect(d.action.staticSummary).toContain('EmployeeBackoffice');
    expect(d.policies.overlap).toBe('SKIP');
    expect(d.memo).toMatchObject({ kind: 'deployment', spec: 'every 1m', createdBy: userInfo().username });
    expect(d.state).toMatchObject({ paused: true, note: 'set up' });
    expect(d.spec.intervals).toMatchObject([{ every: 60_000 }]);
    expect(JSON.stringify(d.action.args)).not.toContain(s.sim.token);
    expect(d.action.args?.[0]).toMatchObject({ requestedBy: `schedule:${id}`, source: 'Development' });

    // Run 1: now (trigger runs a paused schedule too; paused, no interval run can come first and be skipped).
    const trig = await s.cli(['schedule', 'trigger', id]);
    expectExit(trig, ExitCode.Success);
    const first = trig.stdout.trim();
    expect(first).toMatch(RUN_ID(`deploy-schedule-${id}`));
    const r1 = (await client.workflow.getHandle(first).result()) as DeployResult;
    expect(r1.outcome).toBe('succeeded');

    // Run 2: the interval's own, at the next full minute once unpaused.
    expectExit(await s.cli(['schedule', 'unpause', id, '--note', 'go']), ExitCode.Success);
    expect((await client.schedule.getHandle(id).describe()).state).toMatchObject({ paused: false, note: 'go' });
    const second = await eventually(
      async () => {
        const now = await client.schedule.getHandle(id).describe();
        const ids = now.info.recentActions.map((a) => a.action.workflow.workflowId);
        return ids.length >= 2 && ids.at(-1) !== first ? ids.at(-1) : undefined;
      },
      'the scheduled run',
      150_000,
    );
    expect(second).toMatch(RUN_ID(`deploy-schedule-${id}`));
    const r2 = (await client.workflow.getHandle(second).result()) as DeployResult;
    expect(r2.outcome).toBe('succeeded');
    const desc2 = await client.workflow.getHandle(second).describe();
    expect(desc2.searchAttributes?.[sa.requestedBy.name]).toEqual([`schedule:${id}`]);
    expect(await s.sim.creates()).toBe(2);
    const plans = (await s.sim.plans()) as unknown as { status: string }[];
    expect(plans.map((p) => p.status)).toEqual(['finished_successful', 'finished_successful']);

    // list: spec, next runs, not paused, the last run with its outcome.
    const listed = await eventually(async () => {
      const l = await s.cli(['schedule', 'list']);
      return l.code === 0 && l.stdout.includes(second) ? l : undefined;
    }, 'schedule list shows the last run');
    const row = listed.stdout.split('\n').find((l) => l.startsWith(id))!;
    expect(row).toMatch(/deployment\s+every 1m\s+\d{4}-.*\s+no\s+/);
    expect(row).toContain(`${second} completed (succeeded)`);

    // pause with a note.
    expectExit(await s.cli(['schedule', 'pause', id, '--note', 'code freeze']), ExitCode.Success);
    const after = await client.schedule.getHandle(id).describe();
    expect(after.state).toMatchObject({ paused: true, note: 'code freeze' });
    const pausedRow = await eventually(async () => {
      const l = await s.cli(['schedule', 'list']);
      return l.stdout.split('\n').find((x) => x.startsWith(id) && x.includes('yes (code freeze)'));
    }, 'schedule list shows the pause');
    expect(pausedRow).toBeTruthy();

    // delete: gone from Temporal and from the list; a second delete and a trigger name the ID, exit 8.
    expectExit(await s.cli(['schedule', 'delete', id]), ExitCode.Success);
    await expect(client.schedule.getHandle(id).describe()).rejects.toThrow(/not found/i);
    await eventually(async () => {
      const l = await s.cli(['schedule', 'list']);
      return l.code === 0 && !l.stdout.includes(id);
    }, 'schedule list without the deleted schedule');
    for (const cmd of ['delete', 'trigger', 'pause']) {
      const r = await s.cli(['schedule', cmd, id]);
      expectExit(r, ExitCode.NotFound);
      expect(r.stderr).toContain(`no schedule "${id}"`);
    }
  });

  test('trigger while a run still runs: overlap skip starts nothing and says so', async () => {
    const id = 'overlap-check';
    // No worker polls this task queue: the first run stays open (running, not yet picked up).
    const env = { ...s.cliEnv, LIFETIME_DEPLOY_TASK_QUEUE: `${s.taskQueue}-nobody` };
    const cron = '0 22 * * 1-5';
    const created = await runCli(
      ['schedule', 'create', id, '--cron', cron, '--time-zone', 'Europe/Lisbon', '--', 'deploy', ...EB],
      env,
    );
    expectExit(created, ExitCode.Success);
    // The server reads the cron expression in the time zone as the CLI's validation does.
    const expected = CronExpressionParser.parse(cron, { tz: 'Europe/Lisbon', currentDate: new Date() })
      .take(3)
      .map((t) => t.toISOString());
    const described = await client.schedule.getHandle(id).describe();
    expect(described.spec.timezone).toBe('Europe/Lisbon');
    expect(described.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString())).toEqual(expected);
    const first = await runCli(['schedule', 'trigger', id], env);
    expectExit(first, ExitCode.Success);
    const runId = first.stdout.trim();
    const second = await runCli(['schedule', 'trigger', id], env);
    expectExit(second, ExitCode.Success);
    expect(second.stdout.trim()).toBe('');
    expect(second.stderr).toContain(`overlap policy skips a run while ${runId} still runs`);
    const d = await client.schedule.getHandle(id).describe();
    expect(d.info.numActionsTaken).toBe(1);
    expect(d.info.numActionsSkippedOverlap).toBe(1);
    expectExit(await s.cli(['schedule', 'delete', id]), ExitCode.Success);
    await client.workflow.getHandle(runId).terminate('test over');
  });
});

test('a schedule of a release: -- promote …, the run is a release with a derived ID that succeeds', async () => {
  const s = await startStack(server, { speed: 400 });
  const id = 'release-train';
  const args = ['--app', 'EmployeeBackoffice', '--through', 'Development,Production', ...FAST];
  expectExit(await s.cli(['schedule', 'create', id, '--every', '1d', '--', 'promote', ...args]), ExitCode.Success);
  const d = await client.schedule.getHandle(id).describe();
  expect(d.action).toMatchObject({ workflowType: 'promoteRelease', workflowId: `release-schedule-${id}` });
  const r = await s.cli(['schedule', 'trigger', id]);
  expectExit(r, ExitCode.Success);
  const run = r.stdout.trim();
  expect(run).toMatch(RUN_ID(`release-schedule-${id}`));
  const result = (await client.workflow.getHandle(run).result()) as ReleaseResult;
  expect(result.outcome).toBe('succeeded');
  expect(result.stages.map((st) => [st.target.name, st.status])).toEqual([['Production', 'deployed']]);
  expect(await s.sim.creates()).toBe(1);
  // The run carries its own ID as its release attribute (the schedule could not know it), as `promote`'s runs do.
  const attrs = (await client.workflow.getHandle(run).describe()).searchAttributes;
  expect(attrs?.[sa.release.name]).toEqual([run]);
  // `list --release <run>` finds the stage by the run's own ID.
  const listed = await eventually(async () => {
    const l = await s.cli(['list', '--release', run]);
    return l.stdout.includes(`stage of ${run}`) ? l : undefined;
  }, 'list --release shows the stage');
  expect(listed.code).toBe(0);
  expectExit(await s.cli(['schedule', 'delete', id]), ExitCode.Success);
});

/** The commands of the README's "Scheduled deployments" example, as a shell would split them. */
function readmeScheduleCommands(): string[][] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Scheduled deployments')).split(/\n## (?!Scheduled)/)[0]!;
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l.startsWith('npx lifetime-deploy '))
    .map((l) =>
      [...l.slice('npx lifetime-deploy '.length).matchAll(/'[^']*'|"[^"]*"|\S+/g)].map((m) =>
        m[0].replace(/^(['"])(.*)\1$/, '$2'),
      ),
    );
}

test('the README example runs as printed: create, trigger (a deployment to Quality that succeeds), list, pause, unpause, delete', async () => {
  const s = await startStack(server, { speed: 400 });
  const commands = readmeScheduleCommands();
  expect(commands.map((c) => c.slice(0, 2).join(' '))).toEqual([
    'schedule create',
    'schedule trigger',
    'schedule list',
    'schedule pause',
    'schedule unpause',
    'schedule delete',
  ]);
  let run = '';
  for (const args of commands) {
    const r = await s.cli(args);
    expectExit(r, ExitCode.Success);
    if (args[1] === 'trigger') run = r.stdout.trim();
  }
  expect(run).toMatch(RUN_ID('deploy-schedule-quality-nightly'));
  const result = (await client.workflow.getHandle(run).result()) as DeployResult;
  expect(result.outcome).toBe('succeeded');
  const plans = (await s.sim.plans()) as unknown as { status: string; targetEnvironmentName: string }[];
  expect(plans.map((p) => [p.targetEnvironmentName, p.status])).toEqual([['Quality', 'finished_successful']]);
  await expect(client.schedule.getHandle('quality-nightly').describe()).rejects.toThrow(/not found/i);
});

describe('bad input: exit 2, the message names the flag and the value, no schedule is created', () => {
  const cases: [string, string[], string[]][] = [
    ['--every too short', ['--every', '30s', '--', 'deploy', ...EB], ['--every', '"30s"']],
    ['--every not an interval', ['--every', 'daily', '--', 'deploy', ...EB], ['--every', '"daily"']],
    ['--cron out of range', ['--cron', '0 25 * * *', '--', 'deploy', ...EB], ['--cron', '"0 25 * * *"', '0-23']],
    ['--cron with six fields', ['--cron', '0 0 22 * * 1', '--', 'deploy', ...EB], ['--cron', 'five fields']],
    [
      '--time-zone unknown',
      ['--cron', '0 22 * * 1-5', '--time-zone', 'Europe/Lisbn', '--', 'deploy', ...EB],
      ['--time-zone', '"Europe/Lisbn"'],
    ],
    ['--time-zone with --every', ['--every', '1h', '--time-zone', 'UTC', '--', 'deploy', ...EB], ['--time-zone']],
    ['neither --cron nor --every', ['--', 'deploy', ...EB], ['--cron', '--every']],
    ['--overlap unknown', ['--every', '1h', '--overlap', 'never', '--', 'deploy', ...EB], ['--overlap', "'never'"]],
    ['deploy flag: --poll-min', ['--every', '1h', '--', 'deploy', ...EB, '--poll-min', 'x'], ['--poll-min', '"x"']],
    ['deploy flag: --to missing', ['--every', '1h', '--', 'deploy', '--app', 'A', '--from', 'D'], ['--to']],
    ['deploy flag: --on-busy', ['--every', '1h', '--', 'deploy', ...EB, '--on-busy', 'later'], ['--on-busy', 'later']],
    ['deploy --id', ['--every', '1h', '--', 'deploy', ...EB, '--id', 'x'], ['--id']],
    ['deploy --plan', ['--every', '1h', '--', 'deploy', '--plan', 'a1b2'], ['--plan', '"a1b2"']],
    ['deploy --sign-with', ['--every', '1h', '--', 'deploy', ...EB, '--sign-with', 'k'], ['--sign-with']],
    ['promote flag: --through', ['--every', '1h', '--', 'promote', '--app', 'A', '--through', 'Dev'], ['--through']],
    ['no command', ['--every', '1h', '--', 'rollback', 'x'], ['deploy', 'promote', '"rollback"']],
  ];
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(server);
  }, 180_000);

  test.each(cases)('%s', async (_name, args, mentions) => {
    const r = await s.cli(['schedule', 'create', 'bad-input', ...args]);
    if (r.code !== ExitCode.InvalidInput) throw new Error(show(r));
    for (const m of mentions) expect(r.stderr).toContain(m);
    expect(await scheduleIds()).not.toContain('bad-input');
  });
});
