/**
 * The production topology on one machine, without Docker: a Temporal server (the real `temporal-server`, all four
 * services in one process) whose history and visibility live in a private PostgreSQL. What docker-compose.yml
 * runs, step for step:
 *   1. the server binaries at the compose file's version (server-binaries.ts: built with Go once, cached);
 *   2. PostgreSQL on a loopback port, role `temporal` with a password (postgres.ts);
 *   3. both databases created and migrated with temporal-sql-tool: create-database, setup-schema -v 0.0,
 *      update-schema -d schema/postgresql/v12/<schema>/versioned (the compose file's temporal-schema job);
 *   4. the server's configuration (server-config.ts) and the server on loopback ports below 32768;
 *   5. the namespace (retention 72 h) and the product's search attributes (the compose file's
 *      temporal-admin-tools job), checked with a visibility query that filters on one of them.
 * `stop()` ends everything it started (server first, then PostgreSQL) and removes its folder.
 * The fault tests (test/stack) use `killServer`, `startServer` and `postgres.stop` / `postgres.start`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureSearchAttributes } from '../../temporal-setup';
import { allSearchAttributeKeys, searchAttributes } from '../../workflows/search-attributes';
import { spawnStackChild, stopStackChild, type StackChild } from './child';
import { freeLowPort, freeLowPorts } from './ports';
import { findPostgres, PrivatePostgres } from './postgres';
import { ensureServerBinaries, type ServerBinaries } from './server-binaries';
import { DATABASES, SERVER_PORT_NAMES, writeServerConfig, type ServerPorts } from './server-config';

export const STACK_NAMESPACE = 'default';
/** The namespace's retention, as docker-compose.yml's temporal-admin-tools job creates it. */
export const NAMESPACE_RETENTION_HOURS = 72;
const CONFIG_ENV = 'stack';

export interface StackOptions {
  namespace?: string;
  /** Progress lines (never a secret). */
  log?: (line: string) => void;
  /** Keep the folder (logs, data) after `stop()`. */
  keepDir?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface TemporalOnPostgres {
  /** host:port of the frontend (gRPC), for TEMPORAL_ADDRESS. */
  address: string;
  namespace: string;
  /** The stack's folder: postgres/ (data, postgres.log), temporal/ (config, server.log). */
  dir: string;
  binaries: ServerBinaries;
  postgres: PrivatePostgres;
  ports: ServerPorts;
  serverLogFile: string;
  /** PID of the running server, if it runs. */
  serverPid(): number | undefined;
  /** Starts the server (after `killServer` or `stopServer`) and resolves once it serves the namespace. */
  startServer(): Promise<void>;
  /** SIGKILL: no shutdown at all, as when the machine or container dies. */
  killServer(): Promise<void>;
  /** SIGTERM and wait (SIGKILL after `killAfterMs`). */
  stopServer(killAfterMs?: number): Promise<void>;
  /** Resolves once the frontend answers a health check and describes the namespace. */
  waitUntilServing(timeoutMs?: number): Promise<void>;
  serverTail(): string;
  /** Stops the server and PostgreSQL and removes the folder (unless keepDir). Safe to call twice. */
  stop(): Promise<void>;
}

/** One probe of the frontend, on a fresh connection (a reused channel would wait out its reconnect backoff). */
export async function serving(address: string, namespace: string, timeoutMs = 2000): Promise<boolean> {
  const conn = Connection.lazy({ address, connectTimeout: timeoutMs });
  try {
    const deadline = Date.now() + timeoutMs;
    const health = await conn.withDeadline(deadline, () => conn.healthService.check({}));
    if (health.status !== 1 /* SERVING */) return false;
    await conn.withDeadline(deadline, () => conn.workflowService.describeNamespace({ namespace }));
    return true;
  } catch {
    return false;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

function runSqlTool(binaries: ServerBinaries, pg: PrivatePostgres, database: string, args: string[]): void {
  const r = spawnSync(binaries.sqlTool, ['--db', database, ...args], {
    encoding: 'utf8',
    env: pg.sqlToolEnv(database),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error || r.status !== 0) {
    const out = `${r.stderr ?? ''}${r.stdout ?? ''}`
      .split('\n')
      .filter((l) => !/\bDEBUG\b/.test(l))
      .slice(-20)
      .join('\n');
    throw new Error(
      `temporal-sql-tool --db ${database} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${out}`,
    );
  }
}

/** The schema steps for one database, as docker-compose.yml's temporal-schema job runs them. */
export function schemaSteps(schemaRoot: string, schema: string): string[][] {
  return [
    ['create-database'],
    ['setup-schema', '-v', '0.0'],
    ['update-schema', '-d', path.join(schemaRoot, schema, 'versioned')],
  ];
}

async function retry<T>(what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err;
      if (Date.now() > until) throw new Error(`${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

const ALREADY_EXISTS = 6;

/** Creates the namespace (once) and the product's search attributes, and waits until visibility filters on them. */
async function setUpNamespace(address: string, namespace: string, log: (l: string) => void): Promise<void> {
  const conn = await retry('connect', 60_000, () => Connection.connect({ address, connectTimeout: 5000 }));
  try {
    await retry(`register namespace ${namespace}`, 60_000, async () => {
      try {
        await conn.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs(`${NAMESPACE_RETENTION_HOURS}h`),
        });
        log(`namespace ${namespace}: created (retention ${NAMESPACE_RETENTION_HOURS} h)`);
      } catch (err) {
        if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
      }
    });
    await retry(`describe namespace ${namespace}`, 60_000, () => conn.workflowService.describeNamespace({ namespace }));
    const added = await retry('register search attributes', 60_000, () => ensureSearchAttributes(conn, namespace));
    if (added.length) log(`search attributes: ${added.join(', ')}`);
    // Visibility on PostgreSQL maps custom search attributes to columns per namespace: a list filter on one of
    // them is refused until the mapping has reached the frontend.
    const query = `${searchAttributes.gate.name} = "none" AND ${searchAttributes.applications.name} = "x"`;
    await retry('a visibility query on the search attributes', 60_000, () =>
      conn.workflowService.countWorkflowExecutions({ namespace, query }),
    );
    const listed = await conn.operatorService.listSearchAttributes({ namespace });
    const missing = allSearchAttributeKeys.filter((k) => !(k.name in (listed.customAttributes ?? {})));
    if (missing.length) throw new Error(`search attributes not registered: ${missing.map((k) => k.name).join(', ')}`);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Brings the whole stack up (see the file comment). Throws StackSetupError when Go or PostgreSQL is missing. */
export async function startTemporalOnPostgres(opts: StackOptions = {}): Promise<TemporalOnPostgres> {
  const log = opts.log ?? (() => undefined);
  const namespace = opts.namespace ?? STACK_NAMESPACE;
  const install = findPostgres(opts.env);
  const binaries = ensureServerBinaries({ log, env: opts.env });
  const host = '127.0.0.1';
  const dir = mkdtempSync(path.join(tmpdir(), 'lifetime-deploy-stack-'));
  PrivatePostgres.prepareParent(dir, install);
  const serverRoot = path.join(dir, 'temporal');
  mkdirSync(serverRoot, { mode: 0o700 });
  const serverLogFile = path.join(serverRoot, 'server.log');

  let pg: PrivatePostgres | undefined;
  let server: StackChild | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (server) await stopStackChild(server, 'SIGTERM', 15_000);
    if (pg) await pg.stop('fast');
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const pgPort = await freeLowPort(host);
    pg = await PrivatePostgres.create({ install, dir: path.join(dir, 'postgres'), port: pgPort });
    log(`PostgreSQL (${pg.version.replace(/^postgres \(PostgreSQL\) /, '')}) on ${host}:${pgPort}`);
    for (const db of DATABASES) {
      for (const step of schemaSteps(binaries.postgresSchemaDir, db.schema)) runSqlTool(binaries, pg, db.name, step);
    }
    log(`databases ${DATABASES.map((d) => d.name).join(' and ')}: created and migrated`);

    const ports = (await freeLowPorts(SERVER_PORT_NAMES, host)) as ServerPorts;
    writeServerConfig(serverRoot, CONFIG_ENV, {
      host,
      ports,
      postgres: { host: pg.host, port: pg.port, user: pg.user, password: pg.password },
    });
    const address = `${host}:${ports.frontendGrpc}`;

    const spawnServer = (): StackChild =>
      spawnStackChild(
        'temporal-server',
        binaries.server,
        ['--root', serverRoot, '--config', 'config', '--env', CONFIG_ENV, '--allow-no-auth', 'start'],
        { cwd: serverRoot, env: { ...(opts.env ?? process.env) }, logFile: serverLogFile },
      );

    const waitUntilServing = async (timeoutMs = 90_000): Promise<void> => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        if (server?.hasExited()) throw new Error(`temporal-server exited:\n${server.tail()}`);
        if (await serving(address, namespace, 1000)) return;
        if (Date.now() > until)
          throw new Error(`temporal-server did not serve ${address} within ${timeoutMs} ms:\n${server?.tail() ?? ''}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    server = spawnServer();
    // The first start has no namespace yet: wait for the health check, then set the namespace up.
    await retry('temporal-server health', 90_000, async () => {
      if (server!.hasExited())
        throw Object.assign(new Error(`temporal-server exited:\n${server!.tail()}`), { fatal: true });
      const c = Connection.lazy({ address, connectTimeout: 1000 });
      try {
        const h = await c.withDeadline(Date.now() + 1000, () => c.healthService.check({}));
        if (h.status !== 1) throw new Error(`health status ${h.status}`);
      } finally {
        await c.close().catch(() => undefined);
      }
    });
    log(`temporal-server ${binaries.version} serving on ${address}`);
    await setUpNamespace(address, namespace, log);
    await waitUntilServing();

    return {
      address,
      namespace,
      dir,
      binaries,
      postgres: pg,
      ports,
      serverLogFile,
      serverPid: () => (server && !server.hasExited() ? server.pid : undefined),
      async startServer() {
        if (server && !server.hasExited()) return;
        server = spawnServer();
        await waitUntilServing();
      },
      async killServer() {
        if (!server || server.hasExited()) return;
        server.signal('SIGKILL');
        await server.exited;
      },
      async stopServer(killAfterMs = 15_000) {
        if (server) await stopStackChild(server, 'SIGTERM', killAfterMs);
      },
      waitUntilServing,
      serverTail: () => server?.tail() ?? '',
      stop,
    };
  } catch (err) {
    const pgTail = pg?.tail();
    await stop().catch(() => undefined);
    if (pgTail && !(err as Error).message.includes(pgTail)) (err as Error).message += `\n--- postgres.log\n${pgTail}`;
    throw err;
  }
}
