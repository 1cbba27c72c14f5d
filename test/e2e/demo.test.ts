/**
 * The demo's gate hints run as printed: the demo waits at the conflict gate, this test runs the printed Temporal CLI
 * command through a shell in the project folder, and the demo finishes with that decision applied.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { DevServer } from '../../src/dev/dev-server';
import { cleanEnv, killAll, spawnChild, useDevServer } from './processes';

jest.setTimeout(240_000);

let server: DevServer;
useDevServer((started) => ({ server } = started));
afterEach(() => killAll(), 30_000);

const ROOT = path.resolve(__dirname, '..', '..');

test('the printed `npm run temporal -- workflow signal …` approves the gate; the demo ends with both deployments done', async () => {
  const demo = spawnChild(
    'demo',
    process.execPath,
    ['--import', 'tsx', 'scripts/demo.ts', '--interactive'],
    cleanEnv({ TEMPORAL_ADDRESS: server.address, TEMPORAL_UI_URL: server.uiUrl }),
  );
  const shown = await demo.waitFor(/• Temporal CLI: (npm run temporal -- workflow signal .*)\n/, {
    stream: 'stdout',
    timeoutMs: 180_000,
  });
  const command = /• Temporal CLI: (npm run temporal -- workflow signal .*)\n/.exec(shown)![1]!;
  const ran = spawnSync('bash', ['-c', command], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
  expect({ code: ran.status, stderr: ran.stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.any(String) });
  const exit = await demo.exited;
  expect(exit.code).toBe(0);
  expect(demo.stdout()).toMatch(/decision: approve by you .*→ applied/);
  expect(demo.stdout().match(/^outcome: succeeded/gm)).toHaveLength(2);
});
