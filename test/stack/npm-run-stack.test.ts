/**
 * `npm run stack` as a person runs it: up, then Ctrl-C, which the terminal sends to every process of its group
 * (npm, sh, tsx, the script), twice here as an impatient person does. The script stops the server and PostgreSQL:
 * no process of the stack, no listening port and no folder is left.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { portIsFree } from '../../src/dev/dev-server';
import { PROJECT_ROOT } from '../../src/dev/temporal-binaries';
import { eventually } from '../e2e/processes';

/** PIDs of the processes whose command line names `text` (Linux /proc). */
function processesNaming(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test('npm run stack: up, then Ctrl-C (SIGINT to the whole process group, twice): nothing left', async () => {
  const child = spawn('npm', ['run', 'stack'], {
    cwd: PROJECT_ROOT,
    detached: true, // a process group of its own, as a terminal gives a command
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await eventually(async () => out.includes('Ctrl-C stops'), `npm run stack serving:\n${out}`, 300_000);
    const address = /address:\s+127\.0\.0\.1:(\d+)/.exec(out);
    const postgres = /postgres:\s+127\.0\.0\.1:(\d+)/.exec(out);
    const dir = /logs:\s+(\S+)\/temporal\/server\.log/.exec(out)?.[1];
    expect(address && postgres && dir).toBeTruthy();
    expect(processesNaming(dir!).length).toBeGreaterThanOrEqual(2); // temporal-server and postgres

    process.kill(-child.pid!, 'SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-child.pid!, 'SIGINT');
    } catch {
      // the group is gone already
    }
    await eventually(async () => out.includes('\nstopped'), `npm run stack stopped:\n${out}`, 120_000);
    await exited;

    expect(out).toContain('SIGINT: stopping the Temporal server and PostgreSQL');
    await eventually(async () => processesNaming(dir!).length === 0, `no process of ${dir} left`, 10_000);
    expect(await portIsFree(Number(address![1]))).toBe(true);
    expect(await portIsFree(Number(postgres![1]))).toBe(true);
    expect(existsSync(dir!)).toBe(false);
    expect(path.basename(dir!)).toMatch(/^lifetime-deploy-stack-/);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // gone
      }
      await exited;
    }
  }
});
