/**
 * The Temporal server as the production topology runs it: `temporal-server` and `temporal-sql-tool`, built from the
 * Go module go.temporal.io/server at the version docker-compose.yml pins (`temporalio/server:<version>`; a test
 * checks that the two agree), and the PostgreSQL schema files that ship in that module.
 *
 * Cached under the git-ignored .temporal/ folder, one folder per version:
 *   .temporal/server/<version>/bin/temporal-server
 *   .temporal/server/<version>/bin/temporal-sql-tool
 *   .temporal/server/<version>/schema/postgresql/v12/{temporal,visibility}/…
 *   .temporal/server/<version>/build.json            (written last: the folder is complete)
 * The first build takes a few minutes (`go install` of both commands, modules from the Go module proxy); after it
 * this only reads build.json. Missing Go: a StackSetupError that says what to install (exit code 2).
 */
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../temporal-binaries';

/** The Temporal server release of the production topology: docker-compose.yml runs `temporalio/server:<this>`. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
/** The Go release the server's go.mod asks for (`go 1.25.0`). */
export const GO_MIN_VERSION = '1.25';

export const SERVER_CACHE_ROOT = path.join(PROJECT_ROOT, '.temporal', 'server');

/** A missing or unusable prerequisite (Go, PostgreSQL, a user to run PostgreSQL as): the message says what to do. */
export class StackSetupError extends Error {
  override readonly name = 'StackSetupError';
  /** The exit code of `npm run stack` for it. */
  readonly exitCode = 2;
}

export interface ServerBinaries {
  version: string;
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12: `temporal/versioned` and `visibility/versioned` are the update-schema folders. */
  postgresSchemaDir: string;
  /** Where they came from: the cache as it was, or a build just now. */
  source: 'cache' | 'built';
}

interface BuildInfo {
  version: string;
  go: string;
  builtAt: string;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function layout(dir: string, version: string): Omit<ServerBinaries, 'source'> {
  return {
    version,
    server: path.join(dir, 'bin', 'temporal-server'),
    sqlTool: path.join(dir, 'bin', 'temporal-sql-tool'),
    postgresSchemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
}

function cached(dir: string, version: string): Omit<ServerBinaries, 'source'> | undefined {
  const l = layout(dir, version);
  try {
    const info = JSON.parse(readFileSync(path.join(dir, 'build.json'), 'utf8')) as BuildInfo;
    if (info.version !== version) return undefined;
  } catch {
    return undefined;
  }
  const complete =
    isExecutable(l.server) &&
    isExecutable(l.sqlTool) &&
    existsSync(path.join(l.postgresSchemaDir, 'temporal', 'versioned')) &&
    existsSync(path.join(l.postgresSchemaDir, 'visibility', 'versioned'));
  return complete ? l : undefined;
}

/** Where the go.dev installer puts Go: looked at when `go` is not on the PATH. */
export const GO_FALLBACK_DIRS = ['/usr/local/go/bin'];

/** `go` on the PATH, else in one of `fallback`. */
function findGo(env: NodeJS.ProcessEnv, fallback: string[]): string | undefined {
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...fallback];
  return dirs.map((d) => path.join(d, 'go')).find(isExecutable);
}

function goMissing(detail: string): StackSetupError {
  return new StackSetupError(
    [
      `Go ${GO_MIN_VERSION} or newer is needed to build the Temporal server ${TEMPORAL_SERVER_VERSION} (${detail}).`,
      'Install Go from https://go.dev/dl/ (or your package manager, if it has 1.25+), make sure `go` is on the PATH,',
      'and run the command again. The build happens once; the binaries are cached under .temporal/server/.',
    ].join('\n'),
  );
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, what: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${what} failed (exit ${r.status}):\n${out}`);
  }
  return r.stdout;
}

export interface EnsureServerOptions {
  version?: string;
  /** Cache root; defaults to .temporal/server in the project. */
  cacheRoot?: string;
  env?: NodeJS.ProcessEnv;
  /** Folders to look for `go` in when it is not on the PATH (default GO_FALLBACK_DIRS). */
  goFallbackDirs?: string[];
  log?: (line: string) => void;
}

/** The cached binaries and schema of `version`; builds them with Go when they are missing. */
export function ensureServerBinaries(opts: EnsureServerOptions = {}): ServerBinaries {
  const version = opts.version ?? TEMPORAL_SERVER_VERSION;
  const root = opts.cacheRoot ?? SERVER_CACHE_ROOT;
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const dir = path.join(root, version);
  const hit = cached(dir, version);
  if (hit) return { ...hit, source: 'cache' };

  const go = findGo(env, opts.goFallbackDirs ?? GO_FALLBACK_DIRS);
  if (!go) throw goMissing('`go` was not found on the PATH nor in /usr/local/go/bin');
  const probe = spawnSync(go, ['version'], { encoding: 'utf8', env });
  if (probe.error) throw goMissing(`${go} does not run: ${probe.error.message}`);
  const goVersion = /go(\d+\.\d+(?:\.\d+)?)/.exec(probe.stdout)?.[1];
  if (probe.status !== 0 || !goVersion)
    throw goMissing(`\`go version\` said: ${(probe.stderr || probe.stdout).trim()}`);
  const [major, minor] = goVersion.split('.').map(Number) as [number, number];
  const [needMajor, needMinor] = GO_MIN_VERSION.split('.').map(Number) as [number, number];
  // An older go may still fetch a newer toolchain itself (GOTOOLCHAIN=auto), so only say it when the build fails.
  const tooOld = major < needMajor || (major === needMajor && minor < needMinor);

  mkdirSync(root, { recursive: true });
  const staging = path.join(root, `.build-${version}-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(path.join(staging, 'bin'), { recursive: true });
  const goEnv: NodeJS.ProcessEnv = { ...env, GOBIN: path.join(staging, 'bin'), CGO_ENABLED: '0' };
  const started = Date.now();
  log(`building the Temporal server ${version} with go ${goVersion} (once; a few minutes on a fresh machine) …`);
  try {
    try {
      run(
        go,
        ['install', `go.temporal.io/server/cmd/server@v${version}`, `go.temporal.io/server/cmd/tools/sql@v${version}`],
        goEnv,
        `go install go.temporal.io/server/cmd/server@v${version}`,
      );
    } catch (err) {
      if (tooOld) throw goMissing(`this is go ${goVersion}; ${(err as Error).message.split('\n')[0]}`);
      throw err;
    }
    renameSync(path.join(staging, 'bin', 'server'), path.join(staging, 'bin', 'temporal-server'));
    renameSync(path.join(staging, 'bin', 'sql'), path.join(staging, 'bin', 'temporal-sql-tool'));
    // The schema files ship in the module: the module cache holds the sources go install just used.
    const mod = JSON.parse(
      run(go, ['mod', 'download', '-json', `go.temporal.io/server@v${version}`], goEnv, 'go mod download'),
    ) as { Dir?: string };
    const schema = path.join(mod.Dir ?? '', 'schema', 'postgresql', 'v12');
    if (!mod.Dir || !existsSync(schema)) throw new Error(`go.temporal.io/server@v${version} has no ${schema}`);
    cpSync(schema, path.join(staging, 'schema', 'postgresql', 'v12'), { recursive: true });
    const info: BuildInfo = { version, go: goVersion, builtAt: new Date().toISOString() };
    writeFileSync(path.join(staging, 'build.json'), `${JSON.stringify(info, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(staging, dir);
    } catch (err) {
      // Another build finished first: use it.
      if (!cached(dir, version)) throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const built = cached(dir, version);
  if (!built) throw new Error(`the build of the Temporal server ${version} left an incomplete ${dir}`);
  log(`Temporal server ${version} built in ${Math.round((Date.now() - started) / 1000)} s: ${dir}`);
  return { ...built, source: 'built' };
}
