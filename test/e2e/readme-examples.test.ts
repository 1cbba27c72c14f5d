/**
 * The README's examples for maintenance mode and operator-built plans, run line by line as printed (with bash, from
 * the clone), against a real simulator process, worker process and Temporal dev server. Two substitutions only: the
 * simulator's address (the README's demo stack has it on localhost:8088, here it is on a free port) and the task
 * queue (the README exports the demo's; here the test worker's, in the CLI's environment).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type { DevServer } from '../../src/dev/dev-server';
import type { DeployResult } from '../../src/workflows/messages';
import { cliResult, eventually, killAll, ROOT, spawnChild, startStack, useDevServer, type Stack } from './processes';

jest.setTimeout(240_000);

let server: DevServer;
let client: Client;
useDevServer((started) => ({ server, client } = started));
afterEach(() => killAll(), 30_000);

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The command lines of the first `sh` block under a heading (comments dropped, `\`-continuations joined). */
function example(heading: string): string[] {
  const at = README.indexOf(`\n### ${heading}\n`);
  expect(at).toBeGreaterThanOrEqual(0);
  const section = README.slice(at + 1).split(/\n#{2,3} /)[0]!;
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean);
}

/** Runs one README line with bash in the clone; the simulator's address substituted, `export` lines left to the env. */
async function run(s: Stack, line: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const host = new URL(s.sim.origin).host;
  const child = spawnChild(`readme: ${line.slice(0, 40)}`, 'bash', ['-c', line.replaceAll('localhost:8088', host)], {
    ...s.cliEnv,
  });
  return cliResult(child, 120_000);
}

test('maintenance mode: on → the deployment waits and says why → off → it succeeds', async () => {
  const s = await startStack(server, { speed: 600 });
  const lines = example('Maintenance mode and offline targets');
  expect(lines.map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual([
    'export LIFETIME_DEPLOY_TASK_QUEUE=lifetime-deploy-demo',
    'curl -X POST localhost:8088/_sim/environments/Production/maintenance',
    'npm run cli --',
    'npm run cli --',
    'curl -X POST localhost:8088/_sim/environments/Production/maintenance',
    'npm run cli --',
  ]);
  const [, on, deploy, status, off, statusAfter] = lines as [string, string, string, string, string, string];
  expect((await run(s, on)).code).toBe(0);
  const started = await run(s, deploy);
  expect(started.code).toBe(0);
  const waiting = await eventually(
    async () => {
      const r = await run(s, status);
      if (!/waiting: target Production is in maintenance mode \(LifeTime: .*Monthly patching/.test(r.stdout))
        throw new Error(r.stdout);
      return r.stdout;
    },
    '`status` says why it waits',
    90_000,
  );
  expect(waiting).toMatch(/step: wait-for-target/);
  expect((await run(s, off)).code).toBe(0);
  const id = /--id (\S+)/.exec(deploy)![1]!;
  const result = (await client.workflow.getHandle(id).result()) as DeployResult;
  expect(result.outcome).toBe('succeeded');
  expect((await run(s, statusAfter)).stdout).toMatch(new RegExp(`^${id}: completed`, 'm'));
  const starts = (await s.sim.requests()).filter((r) => r.method === 'POST' && /\/start\/?$/.test(r.path));
  expect(starts.at(-1)!.status).toBe(202);
  expect(starts.slice(0, -1).every((r) => r.status === 400)).toBe(true);
});

test('operator-built plan: built through the admin API, deployed with --plan → succeeded, no plan created', async () => {
  const s = await startStack(server, { speed: 600 });
  const lines = example('Operator-built plans (`--plan`)');
  expect(lines).toHaveLength(3);
  const [, build, deploy] = lines as [string, string, string];
  expect((await run(s, build)).code).toBe(0);
  const r = await run(s, deploy);
  expect(r.code).toBe(0);
  const key = /--plan (\S+)/.exec(deploy)![1]!;
  expect(r.stdout).toMatch(new RegExp(`^outcome: succeeded \\(LifeTime: finished_successful\\), plan ${key}$`, 'm'));
  expect(await s.sim.creates()).toBe(0);
  expect((await s.sim.plans()).map((p) => [p.key, p.status])).toEqual([[key, 'finished_successful']]);
});
