/**
 * A private PostgreSQL cluster for the stack: `initdb` into a folder of its own, `postgres` on a loopback port
 * (TCP only, no Unix socket), one login role with a random password (password authentication, as in
 * docker-compose.yml). PostgreSQL refuses to run as root, so as root it runs as the `postgres` user that the
 * Debian package creates. Missing binaries or user: a StackSetupError saying what to install.
 *
 * Binaries: $PG_BIN_DIR when set, else the newest /usr/lib/postgresql/<major>/bin (Debian, Ubuntu), else
 * `initdb` and `postgres` on the PATH.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { spawnStackChild, stopStackChild, type StackChild } from './child';
import { StackSetupError } from './server-binaries';

export interface PostgresInstallation {
  binDir: string;
  /** `postgres --version`, e.g. `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`. */
  version: string;
  /** The account PostgreSQL runs as when we are root (it refuses root); absent otherwise. */
  runAs?: { name: string; uid: number; gid: number };
}

const INSTALL_HINT = [
  'Install the PostgreSQL server (any version from 12 on), e.g.',
  '  Debian/Ubuntu: apt-get install postgresql      (binaries in /usr/lib/postgresql/<major>/bin)',
  '  macOS:         brew install postgresql@16      (initdb and postgres on the PATH)',
  'or point PG_BIN_DIR at the folder that holds initdb and postgres.',
].join('\n');

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const hasServer = (dir: string) => executable(path.join(dir, 'initdb')) && executable(path.join(dir, 'postgres'));

function candidateDirs(env: NodeJS.ProcessEnv): string[] {
  if (env.PG_BIN_DIR) return [env.PG_BIN_DIR];
  const debian = '/usr/lib/postgresql';
  const majors = existsSync(debian)
    ? readdirSync(debian)
        .filter((d) => /^\d+(\.\d+)?$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return [...majors.map((m) => path.join(debian, m, 'bin')), ...(env.PATH ?? '').split(path.delimiter).filter(Boolean)];
}

/** The `postgres` account from /etc/passwd. */
function postgresAccount(): { name: string; uid: number; gid: number } | undefined {
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === 'postgres' && uid && gid) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** Finds the PostgreSQL server binaries (and the account to run them as, when we are root). */
export function findPostgres(env: NodeJS.ProcessEnv = process.env): PostgresInstallation {
  const binDir = candidateDirs(env).find(hasServer);
  if (!binDir) {
    throw new StackSetupError(
      env.PG_BIN_DIR
        ? `PG_BIN_DIR=${env.PG_BIN_DIR} has no initdb and postgres executables.\n${INSTALL_HINT}`
        : `The PostgreSQL server binaries (initdb, postgres) were not found.\n${INSTALL_HINT}`,
    );
  }
  const v = spawnSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' });
  const version = (v.stdout ?? '').trim() || 'postgres (version unknown)';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) return { binDir, version };
  const runAs = postgresAccount();
  if (!runAs) {
    throw new StackSetupError(
      'Running as root: PostgreSQL refuses to run as root, and there is no `postgres` user to run it as.\n' +
        'Create one (`useradd --system --user-group postgres`; the Debian package does this) or run as a normal user.',
    );
  }
  return { binDir, version, runAs };
}

export interface PrivatePostgresOptions {
  install: PostgresInstallation;
  /** A folder of its own (created): data/ and the log go in it. */
  dir: string;
  port: number;
  /** The login role (default `temporal`, as in docker-compose.yml); its password is random. */
  user?: string;
  log?: (line: string) => void;
}

/** A PostgreSQL cluster that only this harness uses. `start` and `stop` may be called again and again. */
export class PrivatePostgres {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly version: string;
  /** The folder of initdb, postgres (and, where installed, psql). */
  readonly binDir: string;
  private readonly install: PostgresInstallation;
  private child?: StackChild;
  declare readonly password: string;

  private constructor(opts: PrivatePostgresOptions) {
    this.install = opts.install;
    this.port = opts.port;
    this.user = opts.user ?? 'temporal';
    this.dir = opts.dir;
    this.dataDir = path.join(opts.dir, 'data');
    this.logFile = path.join(opts.dir, 'postgres.log');
    this.version = opts.install.version;
    this.binDir = opts.install.binDir;
    // Kept off JSON.stringify and console.log of the object.
    Object.defineProperty(this, 'password', { value: randomBytes(18).toString('base64url'), enumerable: false });
  }

  /** `initdb` (role `user`, password authentication over TCP), then `start`. */
  static async create(opts: PrivatePostgresOptions): Promise<PrivatePostgres> {
    const pg = new PrivatePostgres(opts);
    pg.initdb();
    await pg.start();
    return pg;
  }

  get pid(): number | undefined {
    return this.child && !this.child.hasExited() ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  private owned(): { uid?: number; gid?: number } {
    const r = this.install.runAs;
    return r ? { uid: r.uid, gid: r.gid } : {};
  }

  private initdb(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const { uid, gid } = this.owned();
    if (uid !== undefined) chownSync(this.dir, uid, gid!);
    // The password goes to initdb in a file only it reads, never on a command line.
    const pwfile = path.join(this.dir, '.pwfile');
    writeFileSync(pwfile, this.password, { mode: 0o600 });
    if (uid !== undefined) chownSync(pwfile, uid, gid!);
    try {
      const r = spawnSync(
        path.join(this.install.binDir, 'initdb'),
        [
          '-D',
          this.dataDir,
          '-U',
          this.user,
          `--pwfile=${pwfile}`,
          '--auth-host=scram-sha-256',
          '--auth-local=peer',
          '--encoding=UTF8',
          '--locale=C',
          '--no-sync',
          '--no-instructions',
        ],
        { cwd: this.dir, uid, gid, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      );
      if (r.error || r.status !== 0)
        throw new Error(`initdb failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}${r.stdout}`);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.running) return;
    if (!existsSync(this.logFile)) {
      writeFileSync(this.logFile, '', { mode: 0o600 });
    }
    const { uid, gid } = this.owned();
    const child = spawnStackChild(
      'postgres',
      path.join(this.install.binDir, 'postgres'),
      [
        '-D',
        this.dataDir,
        '-p',
        String(this.port),
        '-c',
        `listen_addresses=${this.host}`,
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
      ],
      { cwd: this.dir, uid, gid, env: { ...process.env, LC_ALL: 'C' }, logFile: this.logFile },
    );
    this.child = child;
    await child.waitFor(/database system is ready to accept connections/, 60_000).catch(async (err: unknown) => {
      child.killGroup();
      await child.exited;
      throw err;
    });
  }

  /**
   * Stops the server: `fast` (SIGINT: roll back open transactions, end sessions, checkpoint; what `pg_ctl stop -m
   * fast` does), `smart` (SIGTERM: wait for sessions to end) or `immediate` (SIGQUIT: no checkpoint, crash recovery
   * at the next start). SIGKILL of the whole group after `killAfterMs`.
   */
  async stop(mode: 'fast' | 'smart' | 'immediate' = 'fast', killAfterMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || child.hasExited()) return;
    const signal = mode === 'fast' ? 'SIGINT' : mode === 'smart' ? 'SIGTERM' : 'SIGQUIT';
    await stopStackChild(child, signal, killAfterMs);
  }

  /** The last lines of the server's log. */
  tail(): string {
    return this.child?.tail() ?? '';
  }

  /** Environment for temporal-sql-tool (password in SQL_PASSWORD, not on its command line). */
  sqlToolEnv(database: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      SQL_PLUGIN: 'postgres12',
      SQL_HOST: this.host,
      SQL_PORT: String(this.port),
      SQL_USER: this.user,
      SQL_PASSWORD: this.password,
      SQL_DATABASE: database,
    };
  }

  /** Makes the folder that holds `dir` passable for the PostgreSQL account (when it is not us). */
  static prepareParent(parent: string, install: PostgresInstallation): void {
    if (install.runAs) chmodSync(parent, 0o711);
  }
}
