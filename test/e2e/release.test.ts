/**
 * Releases with real processes: `promote --wait` in a child process (stage-by-stage progress, the stage's live log,
 * the promotion gate answered with `approve`, exit 0), `status` and `list --pending` of a release, and the worker
 * SIGKILLed during the Quality stage and during the promotion gate: a new worker finishes the release, one plan per
 * stage.
 */
import type { Client } from '@temporalio/client';
import { ExitCode } from '../../src/cli/common';
import type { DevServer } from '../../src/dev/dev-server';
import type { SimData } from '../../src/simulator';
import type { ReleaseResult, ReleaseState } from '../../src/workflows/release-messages';
import { stateQuery } from '../../src/workflows/messages';
import {
  cliResult,
  eventually,
  expectExit,
  FAST,
  killAll,
  startStack,
  startWorkerProcess,
  stopEverything,
  survivors,
  temporalSignal,
  useDevServer,
  type Child,
  type Stack,
} from './processes';

jest.setTimeout(240_000);

let server: DevServer;
let client: Client;
useDevServer((started) => ({ server, client } = started));
afterEach(() => killAll(), 30_000);

const APPS = ['--app', 'HRCore', '--app', 'EmployeeBackoffice', '--app', 'PayrollPortal'];
const THROUGH = ['--through', 'Development,Quality,Production'];
const NAMES = ['HRCore', 'EmployeeBackoffice', 'PayrollPortal'];

interface PlanInfo {
  key: string;
  status: string;
  targetEnvironmentName: string;
}

const plansTo = async (s: Stack, env: string) =>
  ((await s.sim.plans()) as unknown as PlanInfo[]).filter((p) => p.targetEnvironmentName === env);

/** The version key each application runs in each environment of the route. */
async function versions(s: Stack): Promise<Record<string, Record<string, string | undefined>>> {
  const data = await s.sim.admin<SimData>('GET', 'data');
  return Object.fromEntries(
    data.environments.map((e) => [
      e.name,
      Object.fromEntries(
        NAMES.map((n) => [
          n,
          data.applications.find((a) => a.name === n)!.environments.find((x) => x.environment === e.key)?.version,
        ]),
      ),
    ]),
  );
}

const releaseState = (id: string) =>
  client.workflow.getHandle(id).query(stateQuery) as unknown as Promise<ReleaseState>;

async function sigkill(worker: Child): Promise<void> {
  worker.kill('SIGKILL');
  expect((await worker.exited).signal).toBe('SIGKILL');
}

test('promote --wait: stage by stage with the stage’s log; approve at the promotion gate; exit 0; same versions everywhere', async () => {
  const s = await startStack(server, { speed: 1200 });
  const id = `e2e-release-${Date.now().toString(36)}`;
  const promote = s.cliInBackground([
    'promote',
    ...APPS,
    ...THROUGH,
    '--gate-before',
    'Production',
    '--approver',
    'alice',
    ...FAST,
    '--requested-by',
    'ci',
    '--id',
    id,
    '--wait',
  ]);
  await promote.waitFor(new RegExp(`approve ${id} --by`), { stream: 'stderr', timeoutMs: 120_000 });
  const status = await s.cli(['status', id]);
  expectExit(status, 0);
  expect(status.stdout).toMatch(/step: promotion-gate/);
  expect(status.stdout).toMatch(/1\/2 Development → Quality\s+deployed\s+succeeded/);
  expect(status.stdout).toMatch(/2\/2 Quality → Production\s+gate/);
  const pending = await s.cli(['list', '--pending']);
  expect(pending.stdout).toMatch(new RegExp(`${id}\\s+release\\s+running.*promotion`));
  expect(await plansTo(s, 'Production')).toEqual([]);

  const approve = await s.cli(['approve', id, '--by', 'alice', '--reason', 'QA signed off']);
  expectExit(approve, 0);
  expect(approve.stdout).toContain(`approve by alice applied to the promotion gate of ${id}`);

  const r = await cliResult(promote, 180_000);
  expectExit(r, ExitCode.Success);
  expect(r.stderr).toMatch(/▶ stage 1\/2 Development → Quality: deploying/);
  expect(r.stderr).toMatch(/▶ stage 2\/2 Quality → Production: gate/);
  expect(r.stderr).toMatch(/ {4}│ .*Production/); // the Production stage's LifeTime log, followed live
  expect(r.stdout).toMatch(/^release outcome: succeeded$/m);
  expect(r.stdout).toMatch(/2\/2 Quality → Production\s+deployed\s+succeeded/);

  const v = await versions(s);
  expect(v.Quality).toEqual(v.Development);
  expect(v.Production).toEqual(v.Development);
  expect(await plansTo(s, 'Quality')).toHaveLength(1);
  expect(await plansTo(s, 'Production')).toHaveLength(1);
  expect(await s.sim.creates()).toBe(2);

  const children = await s.cli(['list', '--release', id]);
  expect(children.stdout).toContain(`${id}.stage-1-quality`);
  expect(children.stdout).toContain(`${id}.stage-2-production`);
  expect(children.stdout).toMatch(new RegExp(`${id}\\.stage-2-production\\s+stage of ${id}`));
});

test('SIGKILL during the Quality stage, and again at the promotion gate: new workers finish the release, one plan per stage', async () => {
  const s = await startStack(server, { speed: 3 });
  const id = `e2e-release-crash-${Date.now().toString(36)}`;
  const promote = s.cliInBackground([
    'promote',
    ...APPS,
    ...THROUGH,
    '--gate-before',
    'Production',
    ...FAST,
    '--requested-by',
    'ci',
    '--id',
    id,
    '--wait',
  ]);
  await eventually(
    async () => (await plansTo(s, 'Quality')).find((p) => p.status === 'running'),
    'the Quality stage’s plan runs',
    90_000,
  );
  await sigkill(s.worker);
  const w2 = await startWorkerProcess(
    { temporalAddress: server.address, lifetimeUrl: s.sim.url, token: s.sim.token, taskQueue: s.taskQueue },
    'worker-2',
  );
  await s.sim.config({ speed: 1200 });
  const atGate = await eventually(
    async () => {
      const st = await releaseState(id);
      return st.gate?.kind === 'promotion' ? st : undefined;
    },
    'the promotion gate opens',
    120_000,
  );
  expect(atGate.stages[0]!.status).toBe('deployed');
  await sigkill(w2);
  const signal = await temporalSignal(server.address, id, 'approve', '{"by":"erin","reason":"while no worker ran"}');
  expectExit(signal, 0);
  await startWorkerProcess(
    { temporalAddress: server.address, lifetimeUrl: s.sim.url, token: s.sim.token, taskQueue: s.taskQueue },
    'worker-3',
  );
  const r = await cliResult(promote, 180_000);
  expectExit(r, ExitCode.Success);
  const result = (await client.workflow.getHandle(id).result()) as ReleaseResult;
  expect(result.outcome).toBe('succeeded');
  expect(result.decisions).toEqual([
    expect.objectContaining({ decision: 'approve', by: 'erin', gate: 'promotion', applied: true }),
  ]);
  expect(await plansTo(s, 'Quality')).toHaveLength(1);
  expect(await plansTo(s, 'Production')).toHaveLength(1);
  expect(await s.sim.creates()).toBe(2);
  const v = await versions(s);
  expect(v.Production).toEqual(v.Development);
});

test('leaves no processes behind', async () => {
  await stopEverything();
  expect(survivors()).toEqual([]);
});
