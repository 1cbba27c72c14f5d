/**
 * Starts the Temporal CLI's dev server (with its UI) as a child process, with the product's search
 * attributes registered. Used by the demo, the end-to-end tests, the browser test and the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { cliSearchAttributeArgs } from '../search-attribute-types';
import { allSearchAttributeKeys } from '../workflows/search-attributes';
import { ensureTemporalBinaries } from './temporal-binaries';

export interface DevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Sends SIGTERM and waits for the exit; SIGKILL after `killAfterMs`. Resolves at once when it has ended. */
export function stopChildProcess(child: ChildProcess, killAfterMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, host: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`temporal server exited with code ${child.exitCode}`));
      const sock = net.connect(port, host);
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > until)
          reject(new Error(`temporal server did not listen on ${host}:${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}

export interface DevServerOptions {
  /** gRPC port (default: 7233 when free, else a free port). */
  port?: number;
  uiPort?: number;
  /** SQLite file for persistence; in memory when absent. */
  dbFile?: string;
  log?: (line: string) => void;
}

export async function startTemporalDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const { cli } = ensureTemporalBinaries({ log: opts.log });
  const host = '127.0.0.1';
  const port = opts.port ?? ((await portIsFree(7233)) ? 7233 : await freePort());
  const uiPort = opts.uiPort ?? ((await portIsFree(8233)) ? 8233 : await freePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    host,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--log-level',
    'error',
  ];
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  args.push(...cliSearchAttributeArgs(allSearchAttributeKeys));
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  try {
    await waitForPort(port, host, 60_000, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    address: `${host}:${port}`,
    uiUrl: `http://${host}:${uiPort}`,
    process: child,
    stop: () => stopChildProcess(child, 10_000),
  };
}
