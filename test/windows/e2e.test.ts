/**
 * A deployment window with real processes (dev server, worker, simulator, the CLI as a user runs it): `deploy
 * --not-before <instant> --wait` creates and checks the plan at once, says it waits for the window (step, local
 * time, how long), `status` says the same, and the plan starts only once the instant has passed.
 */
import type { DevServer } from '../../src/dev/dev-server';
import { ExitCode } from '../../src/cli/common';
import { cliResult, EB, expectExit, FAST, killAll, startStack, useDevServer } from '../e2e/processes';

jest.setTimeout(180_000);

let server: DevServer;
useDevServer((started) => ({ server } = started));
afterEach(() => killAll(), 30_000);

test('deploy --not-before --wait: plan at once, "waiting for window" in deploy --wait and status, start after it', async () => {
  const s = await startStack(server);
  const id = `e2e-window-${Date.now().toString(36)}`;
  const opensAt = new Date(Date.now() + 40_000); // room for the CLI and steps 1–4 on a loaded machine
  const instant = opensAt.toISOString();
  const deploy = s.cliInBackground(['deploy', ...EB, ...FAST, '--not-before', instant, '--wait', '--id', id]);

  const shown = await deploy.waitFor(/waiting for window: opens at .*\n/, { stream: 'stderr', timeoutMs: 60_000 });
  expect(shown).toMatch(/▶ wait-for-window \(plan \S+\)/);
  const local = `${opensAt.toUTCString().slice(0, 3)} ${opensAt.getUTCDate()} `;
  expect(shown).toMatch(
    new RegExp(
      `waiting for window: opens at ${local}.* \\d{2}:\\d{2} UTC \\(UTC\\+00:00\\) \\(in (less than a minute|\\d+ min)\\)`,
    ),
  );
  const starts = async () =>
    (await s.sim.requests()).filter((r) => r.method === 'POST' && /\/start\/?$/.test(r.path)).length;
  expect((await s.sim.plans()).map((p) => p.status)).toEqual(['saved']); // created (and checked) at once
  expect(await starts()).toBe(0);

  const status = await s.cli(['status', id]);
  expectExit(status, ExitCode.Success);
  expect(status.stdout).toMatch(/^step: wait-for-window;/m);
  expect(status.stdout).toMatch(/^waiting for window: opens at .+ UTC \(UTC\+00:00\) \(in /m);
  expect(await starts()).toBe(0);

  const d = await cliResult(deploy);
  expectExit(d, ExitCode.Success);
  expect(d.stdout).toMatch(/^outcome: succeeded/m);
  expect(d.stdout).toMatch(/^note: the deployment window opened at /m);
  expect(await starts()).toBe(1);
});
