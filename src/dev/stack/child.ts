/**
 * A long-running child of the stack (PostgreSQL, the Temporal server): its own process group (a Ctrl-C in the
 * terminal reaches only the harness, which then stops them in order), its output appended to a log file and the
 * last few kilobytes kept for error messages, and a kill of the whole group when the harness process exits.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface StackChild {
  name: string;
  pid: number;
  proc: ChildProcess;
  /** Resolves with the exit once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** The last lines of its output. */
  tail(): string;
  /** Resolves when `pattern` shows in its output (from now on or already); rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Sends `signal` to the process itself (not its group). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL to the whole process group. */
  killGroup(): void;
}

const live = new Set<StackChild>();
let hookInstalled = false;

/** Children still running when the harness exits (however it exits, short of SIGKILL) are killed with it. */
function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.killGroup();
  });
}

export interface SpawnStackChildOptions extends Pick<SpawnOptions, 'cwd' | 'env' | 'uid' | 'gid'> {
  /** Output is appended here (in addition to the in-memory tail). */
  logFile: string;
}

export function spawnStackChild(name: string, cmd: string, args: string[], opts: SpawnStackChildOptions): StackChild {
  installExitHook();
  const log: WriteStream = createWriteStream(opts.logFile, { flags: 'a', mode: 0o600 });
  const proc = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    uid: opts.uid,
    gid: opts.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
  const pid = proc.pid;
  let tail = '';
  let done = false;
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    log.write(d);
    tail = (tail + d.toString('utf8')).slice(-16_000);
    for (const l of [...listeners]) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  let spawnError: Error | undefined;
  proc.once('error', (err) => (spawnError = err));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('close', (code, signal) => {
      done = true;
      live.delete(child);
      log.end();
      for (const l of [...listeners]) l();
      resolve({ code, signal });
    });
  });
  const child: StackChild = {
    name,
    pid,
    proc,
    exited,
    hasExited: () => done,
    tail: () => tail.split('\n').slice(-40).join('\n'),
    waitFor(pattern, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        const check = () => {
          if (pattern.test(tail)) {
            finish();
            resolve();
          } else if (done) {
            finish();
            reject(
              new Error(
                `${name} exited before it was ready${spawnError ? ` (${spawnError.message})` : ''}:\n${child.tail()}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${name} was not ready within ${timeoutMs} ms:\n${child.tail()}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    signal(sig) {
      if (done) return;
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    },
    killGroup() {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
  live.add(child);
  return child;
}

/** Sends `signal`, waits for the exit, and SIGKILLs the group after `killAfterMs`. */
export async function stopStackChild(child: StackChild, signal: NodeJS.Signals, killAfterMs: number): Promise<void> {
  if (child.hasExited()) return;
  const timer = setTimeout(() => child.killGroup(), killAfterMs);
  child.signal(signal);
  await child.exited;
  clearTimeout(timer);
}
