/**
 * Acceptance tests for the CLI, run as a user runs it: `node bin/lifetime-deploy.js …` child processes against a
 * real Temporal dev server, a worker process and a LifeTime simulator process, all on real ports.
 * Each test checks exit codes, the output a person reads and what the simulator (LifeTime) saw.
 */
import type { Client } from '@temporalio/client';
import type { DevServer } from '../../src/dev/dev-server';
import { ExitCode } from '../../src/cli/common';
import type { DeployResult } from '../../src/workflows/messages';
import {
  cleanEnv,
  cliResult,
  EB,
  eventually,
  expectExit,
  FAST,
  killAll,
  runCli,
  startStack,
  stopEverything,
  survivors,
  temporalSignal,
  useDevServer,
  type Child,
  type Stack,
} from './processes';

jest.setTimeout(180_000);

let server: DevServer;
let client: Client;
useDevServer((started) => ({ server, client } = started));

const uniqueId = (what: string) => `e2e-${what}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

/** Waits until a following `deploy --wait` has printed the whole gate block (its last line names the signal). */
const gateShown = (deploy: Child, id: string) =>
  deploy.waitFor(new RegExp(`workflow signal --workflow-id ${id} .*\\n`), { stream: 'stderr' });

const countRequests = async (s: Stack, method: string, path: RegExp) =>
  (await s.sim.requests()).filter((r) => r.method === method && path.test(r.path)).length;

describe('with a simulator and a worker per test', () => {
  afterEach(() => killAll(), 30_000);

  test('deploy --wait: progress on stderr, "outcome: succeeded" on stdout, exactly one finished plan', async () => {
    const s = await startStack(server);
    const r = await s.cli(['deploy', ...EB, '--wait', '--requested-by', 'ci']);
    expectExit(r, ExitCode.Success);
    const outcome = /^outcome: succeeded \(LifeTime: finished_successful\), plan (\S+)$/m.exec(r.stdout);
    expect(outcome).not.toBeNull();
    expect(r.stderr).toMatch(/^started deploy-employeebackoffice-development-to-production-[0-9a-f]{10}$/m);
    expect(r.stderr).toMatch(/^▶ (resolve-environments|resolve-versions|create-plan|check-conflicts|start|polling)/m);
    expect(r.stderr).toMatch(/^ {2}LifeTime status: \S+/m);
    expect(r.stderr).toContain('│ Uploading modules from Development to Production');
    expect(r.stderr).toContain('│ Deploy completed');

    const plans = await s.sim.plans();
    expect(plans).toHaveLength(1);
    expect(plans[0]!.status).toBe('finished_successful');
    expect(plans[0]!.key).toBe(outcome![1]);
    expect(await s.sim.creates()).toBe(1);
  });

  test('conflict gate → `lifetime-deploy approve <id> --by alice` → the deployment succeeds', async () => {
    const s = await startStack(server);
    await s.sim.preset({ name: 'conflicts', application: 'EmployeeBackoffice' });
    const id = uniqueId('approve-cli');
    const deploy = s.cliInBackground(['deploy', ...EB, ...FAST, '--wait', '--requested-by', 'ci', '--id', id]);

    const progress = await gateShown(deploy, id);
    expect(progress).toContain(`approve: npx lifetime-deploy approve ${id} --by <your name>`);
    expect(progress).toMatch(/⏸ {2}conflicts gate open: LifeTime reports \d+ conflicts? in the plan for Production/);
    expect(progress).toContain(`reject:  npx lifetime-deploy reject ${id} --by <your name>`);
    expect(progress).toContain(
      `Temporal CLI: npm run temporal -- workflow signal --workflow-id ${id} --name approve --input '{"by":"<your name>"}'`,
    );
    // Waiting at the gate: the plan is saved, not started.
    expect((await s.sim.plans()).map((p) => p.status)).toEqual(['saved']);
    expect(await countRequests(s, 'POST', /\/start\/?$/)).toBe(0);

    const approve = await s.cli(['approve', id, '--by', 'alice']);
    expectExit(approve, ExitCode.Success);
    expect(approve.stdout).toContain(`approve by alice applied to the conflicts gate of ${id}`);

    const d = await cliResult(deploy);
    expectExit(d, ExitCode.Success);
    expect(d.stdout).toMatch(/^outcome: succeeded/m);
    const plans = await s.sim.plans();
    expect(plans.map((p) => p.status)).toEqual(['finished_successful']);
    expect(await s.sim.creates()).toBe(1);
    expect(await countRequests(s, 'POST', /\/start\/?$/)).toBe(1);
  });

  test('conflict gate → `temporal workflow signal … --name approve --input {"by":"bob"}` → the deployment succeeds', async () => {
    const s = await startStack(server);
    // PayrollPortal 1.2 alone to Production (which runs HRCore 1.0) conflicts by itself.
    const id = uniqueId('approve-temporal');
    const deploy = s.cliInBackground([
      'deploy',
      ...['--app', 'PayrollPortal', '--from', 'Development', '--to', 'Production'],
      ...FAST,
      ...['--wait', '--requested-by', 'ci', '--id', id],
    ]);
    const progress = await gateShown(deploy, id);
    expect(progress).toMatch(/conflicts gate open/);

    const signal = await temporalSignal(server.address, id, 'approve', '{"by":"bob"}');
    expectExit(signal, 0);

    const d = await cliResult(deploy);
    expectExit(d, ExitCode.Success);
    expect(d.stdout).toMatch(/^outcome: succeeded/m);
    const result = (await client.workflow.getHandle(id).result()) as DeployResult;
    expect(result.decisions).toEqual([
      expect.objectContaining({ decision: 'approve', by: 'bob', gate: 'conflicts', applied: true }),
    ]);
    expect((await s.sim.plans()).map((p) => p.status)).toEqual(['finished_successful']);
    expect(await s.sim.creates()).toBe(1);
  });

  test('self-approval is ignored (exit 9); `reject <id> --by carol` → exit 5, "outcome: rejected", plan deleted', async () => {
    const s = await startStack(server);
    await s.sim.preset({ name: 'conflicts', application: 'EmployeeBackoffice' });
    const id = uniqueId('reject');
    const deploy = s.cliInBackground(['deploy', ...EB, ...FAST, '--wait', '--requested-by', 'ci', '--id', id]);
    await gateShown(deploy, id);
    const [plan] = await s.sim.plans();
    expect(plan?.status).toBe('saved');

    // The approve command is a Workflow Update: refused at once by its validator, and nothing of it enters the history.
    const self = await s.cli(['approve', id, '--by', 'ci']);
    expectExit(self, ExitCode.Ignored);
    expect(self.stdout).toContain('approve by ci refused: not allowed: self-approval (ci requested this deployment)');
    const history = await client.workflow.getHandle(id).fetchHistory();
    expect(history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(0);

    const reject = await s.cli(['reject', id, '--by', 'carol', '--reason', 'not during the freeze']);
    expectExit(reject, ExitCode.Success);
    expect(reject.stdout).toContain(`reject by carol applied to the conflicts gate of ${id}`);

    const d = await cliResult(deploy);
    expectExit(d, ExitCode.Rejected);
    expect(d.stdout).toMatch(/^outcome: rejected/m);
    expect(d.stdout).toContain(`cleanup: plan ${plan!.key} deleted`);
    expect(await s.sim.plans()).toEqual([]);
    expect(await s.sim.creates()).toBe(1);
    const deletes = (await s.sim.requests()).filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => [r.path.replace(/\/$/, ''), r.status])).toEqual([
      [`/lifetimeapi/rest/v2/deployments/${plan!.key}`, expect.any(Number)],
    ]);
    expect(deletes[0]!.status).toBeLessThan(300);
    expect(await countRequests(s, 'POST', /\/start\/?$/)).toBe(0);
  });

  test('approve with no gate open → exit 9 with the reason; `status --follow` then follows it to success', async () => {
    const s = await startStack(server, { speed: 2 }); // slow: the plan runs for minutes until sped up below
    const id = uniqueId('no-gate');
    const started = await s.cli(['deploy', ...EB, ...FAST, '--requested-by', 'ci', '--id', id]);
    expectExit(started, ExitCode.Success);
    expect(started.stdout.trim()).toBe(id);

    const running = await eventually(async () => {
      const st = await s.cli(['status', id]);
      return st.code === 0 && /LifeTime: running/.test(st.stdout) ? st : undefined;
    }, 'status shows the plan running');
    expect(running.stdout).toMatch(new RegExp(`^${id}: running`, 'm'));
    expect(running.stdout).toMatch(/^step: polling; plan: \S+; LifeTime: running/m);

    const approve = await s.cli(['approve', id, '--by', 'dave']);
    expectExit(approve, ExitCode.Ignored);
    expect(approve.stdout).toContain('approve by dave refused: no gate open');

    await s.sim.config({ speed: 1000 });
    const followed = await s.cli(['status', id, '--follow']);
    expectExit(followed, ExitCode.Success);
    expect(followed.stdout).toMatch(/^outcome: succeeded/m);
    expect((await s.sim.plans()).map((p) => p.status)).toEqual(['finished_successful']);
  });

  test('repeating the same deploy request while it runs attaches to it: same workflow ID, one plan', async () => {
    const s = await startStack(server);
    await s.sim.preset({ name: 'conflicts', application: 'EmployeeBackoffice' }); // keeps it running at the gate
    const args = ['deploy', ...EB, ...FAST, '--requested-by', 'ci', '--notes', `attach test ${uniqueId('n')}`];

    const first = await s.cli(args);
    expectExit(first, ExitCode.Success);
    const id = first.stdout.trim();
    expect(id).toMatch(/^deploy-employeebackoffice-development-to-production-[0-9a-f]{10}$/);
    expect(first.stderr).toContain(`started ${id}`);
    await eventually(async () => (await s.sim.plans()).length === 1, 'the plan is created');

    const second = await s.cli(args);
    expectExit(second, ExitCode.Success);
    expect(second.stdout.trim()).toBe(id);
    expect(second.stderr).toContain(`already running (same request): ${id}`);

    await eventually(async () => /gate open/.test((await s.cli(['status', id])).stdout), 'the gate opens');
    expect(await s.sim.creates()).toBe(1);
    expect(await s.sim.plans()).toHaveLength(1);
    const runs = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = "${id}"` })) runs.push(w.runId);
    expect(runs).toHaveLength(1);
  });

  test('status, list --pending --target Production, and cancel at a gate (the saved plan is deleted)', async () => {
    const s = await startStack(server);
    await s.sim.preset({ name: 'conflicts', application: 'EmployeeBackoffice' });
    const id = uniqueId('cancel');
    expectExit(await s.cli(['deploy', ...EB, ...FAST, '--requested-by', 'ci', '--id', id]), ExitCode.Success);

    const st = await eventually(async () => {
      const r = await s.cli(['status', id]);
      return /gate open/.test(r.stdout) ? r : undefined;
    }, 'status shows the gate');
    expectExit(st, ExitCode.Success);
    expect(st.stdout).toMatch(/^step: conflict-gate; plan: \S+; LifeTime: saved/m);
    expect(st.stdout).toContain(`approve: npx lifetime-deploy approve ${id} --by <your name>`);

    const listed = await eventually(async () => {
      const r = await s.cli(['list', '--pending', '--target', 'Production']);
      return r.stdout.includes(id) ? r : undefined;
    }, 'list --pending shows the deployment');
    expectExit(listed, ExitCode.Success);
    const [header, ...lines] = listed.stdout.trimEnd().split('\n');
    expect(header).toMatch(
      /^WORKFLOW ID +KIND +STATUS +APPLICATIONS +SOURCE → TARGET +LIFETIME \/ STAGE +GATE +OUTCOME$/,
    );
    const line = lines.find((l) => l.startsWith(id));
    expect(line).toMatch(/ deployment +running +EmployeeBackoffice +Development → Production +saved +conflicts +-$/);
    const other = await s.cli(['list', '--pending', '--target', 'Quality']);
    expectExit(other, ExitCode.Success);
    expect(other.stdout).not.toContain(id);

    const [plan] = await s.sim.plans();
    const cancel = await s.cli(['cancel', id]);
    expectExit(cancel, ExitCode.Success);
    expect(cancel.stdout).toContain(`cancellation requested for ${id}`);

    const after = await eventually(async () => {
      const r = await s.cli(['status', id]);
      return /completed/.test(r.stdout) ? r : undefined;
    }, 'the workflow completes after cancel');
    expectExit(after, ExitCode.Cancelled);
    expect(after.stdout).toMatch(/^outcome: cancelled/m);
    expect(after.stdout).toContain(`cleanup: plan ${plan!.key} deleted`);
    expect(await s.sim.plans()).toEqual([]);
    expect(await countRequests(s, 'DELETE', new RegExp(`/deployments/${plan!.key}/?$`))).toBe(1);

    const gone = await s.cli(['status', 'no-such-deployment']);
    expectExit(gone, ExitCode.NotFound);
    expect(gone.stderr).toContain('no deployment no-such-deployment');
  });
});

describe('invalid arguments: a clear message, exit 2, nothing created', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(server);
  }, 180_000);
  afterEach(() => killAll([s.sim.child, s.worker]), 30_000);
  afterAll(() => killAll(), 30_000);

  /** Nothing reached LifeTime and no workflow exists under that ID. */
  async function expectNothingCreated(id: string): Promise<void> {
    expect(await s.sim.creates()).toBe(0);
    expect(await s.sim.plans()).toEqual([]);
    await expect(client.workflow.getHandle(id).describe()).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });
  }

  test.each([
    {
      what: '--on-conflict maybe',
      args: [...EB, '--on-conflict', 'maybe'],
      message: /option '--on-conflict <policy>' argument 'maybe' is invalid\. Allowed choices are gate, reject\./,
    },
    {
      what: 'missing --to',
      args: ['--app', 'EmployeeBackoffice', '--from', 'Development'],
      message: /required option '--to <env>' not specified/,
    },
    {
      what: '--plan with --app/--from/--to',
      args: ['--plan', '6f0c1a8e-2b7d-4c1e-9a3f-5d8e7b6a4c21', ...EB],
      message:
        /--plan: the plan names its applications, source and target; --plan cannot be combined with --app, --version-key, --zone, --from or --to \(got --app "EmployeeBackoffice", --from "Development", --to "Production"\)/,
    },
    {
      what: '--from Development --to Development',
      args: ['--app', 'EmployeeBackoffice', '--from', 'Development', '--to', 'Development'],
      message: /--to: target must differ from source \("Development"\) \(got "Development"\)/,
    },
    {
      what: '--deadline-minutes abc',
      args: [...EB, '--deadline-minutes', 'abc'],
      message: /--deadline-minutes: expected a decimal number such as 30 or 0\.5, got "abc"/,
    },
    {
      what: '--deadline-minutes "" (empty)',
      args: [...EB, '--deadline-minutes', ''],
      message: /--deadline-minutes: expected a decimal number such as 30 or 0\.5, got ""/,
    },
    {
      what: '--poll-min 0x10 (not decimal)',
      args: [...EB, '--poll-min', '0x10'],
      message: /--poll-min: expected a decimal number such as 30 or 0\.5, got "0x10"/,
    },
    {
      what: 'a 50 kB --requested-by',
      args: [...EB, '--requested-by', 'r'.repeat(50_000)],
      message: /--requested-by: requestedBy must be at most 200 characters \(got "r{60}"… \(50000 characters\)\)/,
    },
    {
      what: 'a 100 kB --notes',
      args: [...EB, '--notes', 'n'.repeat(100_000)],
      message: /--notes: notes must be at most 2000 characters \(got "n{60}"… \(100000 characters\)\)/,
    },
    {
      what: 'the same --app twice',
      args: [...EB, '--app', 'employeebackoffice'],
      message: /--app: "employeebackoffice" is listed twice/,
    },
    {
      what: '--on-intervention bogus=go',
      args: [...EB, '--on-intervention', 'bogus=go'],
      message:
        /--on-intervention: expected <info>=<gate\|continue\|abort\|window> with info one of deployment_prepared, .*; got "bogus=go"/,
    },
  ])('$what', async ({ args, message }) => {
    const id = uniqueId('invalid');
    const requestedBy = args.includes('--requested-by') ? [] : ['--requested-by', 'ci'];
    const r = await s.cli(['deploy', ...args, ...requestedBy, '--id', id, '--wait']);
    expectExit(r, ExitCode.InvalidInput);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.length).toBeLessThan(1024); // a short message, whatever the size of the bad value
    expect(r.stdout).toBe('');
    await expectNothingCreated(id);
  });

  test('unknown environment "Prod": the workflow fails fast with the known names, exit 1, no plan', async () => {
    const id = uniqueId('unknown-env');
    const r = await s.cli([
      'deploy',
      ...['--app', 'EmployeeBackoffice', '--from', 'Development', '--to', 'Prod'],
      ...['--requested-by', 'ci', '--id', id, '--wait'],
    ]);
    expectExit(r, ExitCode.Failed);
    expect(r.stdout).toContain(
      'failure (UnknownEnvironment): environment "Prod" not found; known: Development, Quality, Production',
    );
    expect(await s.sim.creates()).toBe(0);
    expect(await s.sim.plans()).toEqual([]);
    const requests = await s.sim.requests();
    expect(requests.some((q) => q.method === 'GET' && /\/environments\/?$/.test(q.path))).toBe(true);
    expect(requests.filter((q) => q.method !== 'GET')).toEqual([]);
  });
});

test('--help of every command shows examples', async () => {
  const env = cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' }); // help never connects
  const top = await runCli(['--help'], env);
  expectExit(top, 0);
  for (const cmd of ['deploy', 'approve', 'reject', 'status', 'list', 'cancel']) expect(top.stdout).toContain(cmd);
  const results = await Promise.all(
    ['deploy', 'approve', 'reject', 'status', 'list', 'cancel'].map(
      async (cmd) => [cmd, await runCli([cmd, '--help'], env)] as const,
    ),
  );
  for (const [cmd, r] of results) {
    expectExit(r, 0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: lifetime-deploy ${cmd}`, 'm'));
    expect(r.stdout).toMatch(/^Examples?:$/m);
    expect(r.stdout).toContain(`$ lifetime-deploy ${cmd} `);
  }
});

test('leaves no processes behind', async () => {
  await stopEverything();
  expect(survivors()).toEqual([]);
});
