/**
 * Running OpenSSH's ssh-keygen (the only code here that does cryptography) and the private temp folders its files
 * live in. Arguments are paths, names and fixed flags only: no key material and no secret is ever on a command line.
 * ssh-keygen never gets a terminal (its own session) and never an askpass program, so it can never prompt.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** ssh-keygen could not be run at all (missing, not executable): an infrastructure problem, never a verdict. */
export class SshKeygenUnavailableError extends Error {
  override readonly name = 'SshKeygenUnavailableError';
}

export interface SshKeygenResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SshKeygenOptions {
  /** The ssh-keygen executable (default: `ssh-keygen` on PATH). */
  sshKeygen?: string;
  /** Written to its standard input (otherwise it reads /dev/null). */
  stdin?: string;
  /** Pass SSH_AUTH_SOCK through, so a key held by ssh-agent can sign. */
  agent?: boolean;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** The environment ssh-keygen runs with: the basics, never an askpass program or a display to prompt on. */
function keygenEnv(env: NodeJS.ProcessEnv, agent: boolean): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', ...(agent ? ['SSH_AUTH_SOCK'] : [])];
  const out: NodeJS.ProcessEnv = { SSH_ASKPASS_REQUIRE: 'never' };
  for (const k of keep) if (env[k] !== undefined && env[k] !== '') out[k] = env[k];
  return out;
}

/** Runs ssh-keygen with `args`; resolves with its exit code and output, rejects only when it cannot run. */
export function runSshKeygen(args: string[], opts: SshKeygenOptions = {}): Promise<SshKeygenResult> {
  const exe = opts.sshKeygen ?? 'ssh-keygen';
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, {
      env: keygenEnv(opts.env ?? process.env, opts.agent ?? false),
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true, // its own session: no controlling terminal, so no passphrase prompt can appear
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new SshKeygenUnavailableError(
          err.code === 'ENOENT'
            ? `${exe} not found: signed decisions need OpenSSH's ssh-keygen (8.9 or later) on PATH`
            : `cannot run ${exe}: ${err.code ?? err.message}`,
        ),
      );
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (opts.stdin !== undefined) {
      child.stdin!.on('error', () => undefined); // ssh-keygen may exit before reading all of it
      child.stdin!.end(opts.stdin, 'utf8');
    }
  });
}

/** The first meaningful line of ssh-keygen's stderr, short (its messages name paths and fingerprints, not keys). */
export function firstError(stderr: string): string {
  const line =
    stderr
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l && !/^(Signing|Write signature|Enter passphrase)/.test(l) && !/^@+$/.test(l)) ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * Runs `fn` with a fresh private folder (mode 0700 in the OS temp folder); files written with `put` are 0600.
 * The folder and everything in it are removed afterwards, whatever happens.
 */
export async function withPrivateDir<T>(
  fn: (dir: { path: string; put: (name: string, content: string) => string }) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lifetime-deploy-sig-'));
  try {
    return await fn({
      path: dir,
      put: (name, content) => {
        const file = path.join(dir, name);
        writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
        return file;
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
