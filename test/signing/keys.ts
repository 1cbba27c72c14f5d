/**
 * Real OpenSSH keys for the signing tests, made with ssh-keygen in a private temp folder per test file, and the
 * allowed-approvers file that lists them. Everything is removed after the file's tests.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface TestKey {
  name: string;
  /** Private key file. */
  priv: string;
  /** Public key file. */
  pub: string;
  /** `type base64` (no comment). */
  line: string;
  /** `SHA256:…` as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** The base64 lines of the private key file: none may ever show up in a result, message or log. */
  secretLines: string[];
}

export interface KeyDir {
  dir: string;
  key(name: string, opts?: { type?: 'ed25519' | 'rsa' | 'ecdsa'; passphrase?: string }): TestKey;
  /** Writes a file (0600) in the folder and returns its path. */
  write(name: string, text: string): string;
}

/** A private folder for the file's keys, removed after its tests. */
export function useKeyDir(): KeyDir {
  const dir = mkdtempSync(path.join(tmpdir(), 'lifetime-deploy-test-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const made = new Map<string, TestKey>();
  return {
    dir,
    key(name, opts = {}) {
      const cached = made.get(name);
      if (cached) return cached;
      const priv = path.join(dir, name);
      const type = opts.type ?? 'ed25519';
      execFileSync('ssh-keygen', [
        '-q',
        '-t',
        type,
        ...(type === 'rsa' ? ['-b', '2048'] : []),
        '-N',
        opts.passphrase ?? '',
        '-C',
        `${name}@test`,
        '-f',
        priv,
      ]);
      const pubText = readFileSync(`${priv}.pub`, 'utf8');
      const fingerprint = /SHA256:\S+/.exec(
        execFileSync('ssh-keygen', ['-l', '-f', `${priv}.pub`], { encoding: 'utf8' }),
      )![0];
      const secretLines = readFileSync(priv, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('-----'));
      const k: TestKey = {
        name,
        priv,
        pub: `${priv}.pub`,
        line: pubText.split(' ').slice(0, 2).join(' '),
        fingerprint,
        secretLines,
      };
      made.set(name, k);
      return k;
    },
    write(name, text) {
      const file = path.join(dir, name);
      writeFileSync(file, text, { mode: 0o600 });
      return file;
    },
  };
}

/** Fails the test when any private key line shows up in `text`. */
export function expectNoSecrets(text: string, keys: TestKey[]): void {
  expect(text).not.toMatch(/PRIVATE KEY/);
  for (const k of keys) for (const l of k.secretLines) expect(text).not.toContain(l);
}

const isSigningDir = (f: string) => f.startsWith('lifetime-deploy-sig-');

/**
 * A temp folder of the file's own (TMPDIR, restored afterwards). After the file's tests it must hold no signing
 * folder (lifetime-deploy-sig-*): each sign and verify removes its own. Other test files running at the same time
 * use other folders, so they cannot disturb the check.
 */
export function useOwnTmpdir(): void {
  const saved = process.env.TMPDIR;
  let own: string | undefined;
  beforeAll(() => {
    own = mkdtempSync(path.join(tmpdir(), 'lifetime-deploy-test-tmp-'));
    process.env.TMPDIR = own;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    if (!own) return;
    const left = readdirSync(own).filter(isSigningDir);
    rmSync(own, { recursive: true, force: true });
    expect(left).toEqual([]);
  });
}

export async function startAgent(dir: string): Promise<{ sock: string; stop: () => void } | undefined> {
  try {
    execFileSync('sh', ['-c', 'command -v ssh-agent && command -v ssh-add']);
  } catch {
    return undefined;
  }
  const sock = path.join(dir, `agent-${process.pid}.sock`);
  const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(sock)) {
    agent.kill('SIGKILL');
    throw new Error('ssh-agent did not create its socket');
  }
  return { sock, stop: () => agent.kill('SIGTERM') };
}

/** Adds a key to the agent; a passphrase is given through an askpass script (0700) that prints it, never on argv. */
export function agentAdd(agent: { sock: string }, key: TestKey, passphrase?: string, dir?: string): void {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, SSH_AUTH_SOCK: agent.sock };
  if (passphrase !== undefined) {
    const askpass = path.join(dir ?? path.dirname(key.priv), 'askpass.sh');
    writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' "$TEST_KEY_PASSPHRASE"\n`, { mode: 0o700 });
    Object.assign(env, { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', TEST_KEY_PASSPHRASE: passphrase });
  }
  execFileSync('ssh-add', ['-q', key.priv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
}
