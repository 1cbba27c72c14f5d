/**
 * The stack harness (src/dev/stack, `npm run stack`) without its services: what it says when Go or PostgreSQL is
 * missing (exit code 2, what to install), and the ports it picks. The stack itself is tested by npm run test:stack.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureServerBinaries, freeLowPort, LOW_PORT_LIMIT, StackSetupError } from '../src/dev/stack';

const ROOT = path.resolve(__dirname, '..');
const stackDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('lifetime-deploy-stack-'));

test('npm run stack without PostgreSQL: exit 2, says what to install, starts nothing', () => {
  const before = stackDirs();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/stack.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PG_BIN_DIR: path.join(tmpdir(), 'no-postgresql-here') },
    timeout: 60_000,
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('PG_BIN_DIR=');
  expect(r.stderr).toContain('apt-get install postgresql');
  expect(r.stdout).toBe('');
  expect(stackDirs()).toEqual(before);
});

test('no Go to build the server: a StackSetupError (exit code 2) that names the Go release to install', () => {
  const cacheRoot = mkdtempSync(path.join(tmpdir(), 'stack-cache-'));
  try {
    let error: unknown;
    try {
      ensureServerBinaries({ cacheRoot, env: { PATH: path.join(cacheRoot, 'bin') }, goFallbackDirs: [] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StackSetupError);
    expect((error as StackSetupError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/Go 1\.25 or newer .*`go` was not found/);
    expect((error as Error).message).toContain('https://go.dev/dl/');
    expect(readdirSync(cacheRoot)).toEqual([]);
  } finally {
    rmSync(cacheRoot, { recursive: true, force: true });
  }
});

test('ports for the stack are below 32768 (the server stores them as SMALLINT), free, never the same twice', async () => {
  const ports = await Promise.all(Array.from({ length: 20 }, () => freeLowPort()));
  expect(ports.filter((p) => p >= LOW_PORT_LIMIT || p < 1024)).toEqual([]);
  expect(new Set(ports).size).toBe(ports.length);
});
