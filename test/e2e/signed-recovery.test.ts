/**
 * Signed decisions across worker processes (real processes, real ssh-keygen keys, the worker reading a real
 * allowed-approvers file):
 * - a worker SIGKILLed while it verifies a signed approval (its ssh-keygen is held in `-Y verify`): the approval is
 *   in history, a new worker verifies it again and applies it once;
 * - a worker restarted with alice's key removed from the file: her new signed decisions are ignored, bob's count.
 * The request is signed by its requester with `deploy --sign-with`, and the result shows the verified requester.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { ExitCode } from '../../src/cli/common';
import type { DevServer } from '../../src/dev/dev-server';
import { stateQuery, type DeployResult } from '../../src/workflows/messages';
import type { ReleaseResult } from '../../src/workflows/release-messages';
import { expectNoSecrets, useKeyDir, type TestKey } from '../signing/keys';
import {
  cleanEnv,
  cliResult,
  EB,
  eventually,
  expectExit,
  FAST,
  killAll,
  runCli,
  startCli,
  startSimulatorProcess,
  startWorkerProcess,
  stopEverything,
  survivors,
  temporalSignal,
  tempDir,
  uniqueTaskQueue,
  useDevServer,
  type Child,
  type SimProcess,
} from './processes';

jest.setTimeout(240_000);

let server: DevServer;
let client: Client;
useDevServer((started) => ({ server, client } = started));
afterEach(() => killAll(), 30_000);

const keys = useKeyDir();
let alice: TestKey;
let bob: TestKey;
beforeAll(() => {
  alice = keys.key('alice');
  bob = keys.key('bob');
});

interface Rig {
  sim: SimProcess;
  taskQueue: string;
  cliEnv: NodeJS.ProcessEnv;
  startWorker(name: string, env?: Record<string, string>): Promise<Child>;
}

async function rig(approversFile: string, o: { conflicts?: boolean } = {}): Promise<Rig> {
  const sim = await startSimulatorProcess({ speed: 200 });
  if (o.conflicts !== false) await sim.preset({ name: 'conflicts', application: 'EmployeeBackoffice' });
  const taskQueue = uniqueTaskQueue('signed');
  return {
    sim,
    taskQueue,
    cliEnv: cleanEnv({ TEMPORAL_ADDRESS: server.address, LIFETIME_DEPLOY_TASK_QUEUE: taskQueue }),
    startWorker: (name, env = {}) =>
      startWorkerProcess(
        {
          temporalAddress: server.address,
          lifetimeUrl: sim.url,
          token: sim.token,
          taskQueue,
          env: { LIFETIME_DEPLOY_APPROVERS_FILE: approversFile, ...env },
        },
        name,
      ),
  };
}

/** `approve --print-payload`: alice's signed approval for the open gate, as the CLI makes it. */
async function signedPayload(r: Rig, id: string, key: TestKey, by: string): Promise<string> {
  const out = await runCli(['approve', id, '--by', by, '--sign-with', key.priv, '--print-payload'], r.cliEnv);
  expectExit(out, ExitCode.Success);
  return out.stdout.trim();
}

const starts = async (sim: SimProcess) =>
  (await sim.requests()).filter((q) => q.method === 'POST' && /\/deployments\/[^/]+\/start\/?$/.test(q.path)).length;

/**
 * An ssh-keygen that, once `armed` exists, hangs in `-Y verify` (after touching `marker`), and is the real one for
 * everything else: the worker using it is caught in the middle of verifying a decision (the request's signature,
 * verified before the gate opens, goes through).
 */
function stuckVerifier(armed: string, marker: string): string {
  const real = execFileSync('sh', ['-c', 'command -v ssh-keygen'], { encoding: 'utf8' }).trim();
  const dir = tempDir();
  const exe = path.join(dir, 'ssh-keygen');
  writeFileSync(
    exe,
    `#!/bin/sh\nif [ -e '${armed}' ] && [ "$1" = "-Y" ] && [ "$2" = "verify" ]; then : > '${marker}'; sleep 120; fi\nexec '${real}' "$@"\n`,
  );
  chmodSync(exe, 0o755);
  return dir;
}

test('SIGKILL while the worker verifies a signed approval: a new worker verifies it and applies it once', async () => {
  const approversFile = keys.write('approvers-crash', `alice ${alice.line}\nbob ${bob.line}\n`);
  const r = await rig(approversFile);
  const marker = path.join(tempDir(), 'verifying');
  const armed = path.join(tempDir(), 'armed');
  const stuckPath = `${stuckVerifier(armed, marker)}:${process.env.PATH}`;
  const w1 = await r.startWorker('worker-1', { PATH: stuckPath });
  const id = `e2e-signed-crash-${Date.now().toString(36)}`;
  // Bob requests, and signs the request; alice approves.
  const deploy = startCli(
    [
      'deploy',
      ...EB,
      ...FAST,
      '--wait',
      '--id',
      id,
      '--requested-by',
      'bob',
      '--sign-with',
      bob.priv,
      '--approver',
      'alice',
    ],
    r.cliEnv,
  );
  const handle = client.workflow.getHandle(id);
  const atGate = await eventually(
    async () => {
      const s = await handle.query(stateQuery).catch(() => undefined);
      return s?.gate?.kind === 'conflicts' ? s : undefined;
    },
    'the conflict gate opens',
    60_000,
  );
  expect(atGate.requester).toEqual({ principal: 'bob', fingerprint: bob.fingerprint });

  const payload = await signedPayload(r, id, alice, 'alice');
  writeFileSync(armed, '');
  expectExit(await temporalSignal(server.address, id, 'approve', payload), 0);
  await eventually(async () => existsSync(marker) || undefined, 'worker-1 verifies the approval', 30_000);
  w1.kill('SIGKILL');
  expect((await w1.exited).signal).toBe('SIGKILL');
  expect(await starts(r.sim)).toBe(0);

  const w2 = await r.startWorker('worker-2');
  const d = await cliResult(deploy, 180_000);
  expectExit(d, ExitCode.Success);
  expect(d.stdout).toContain(`requested by bob [signed, key ${bob.fingerprint}]`);
  const result = (await handle.result()) as DeployResult;
  expect(result.outcome).toBe('succeeded');
  expect(result.requester).toEqual({ principal: 'bob', fingerprint: bob.fingerprint });
  expect(result.decisions).toEqual([
    expect.objectContaining({
      decision: 'approve',
      by: 'alice',
      applied: true,
      signature: { verified: true, principal: 'alice', fingerprint: alice.fingerprint },
    }),
  ]);
  expect(await r.sim.creates()).toBe(1);
  expect(await starts(r.sim)).toBe(1);
  const history = JSON.stringify(await handle.fetchHistory());
  expect(history.match(/"signalName":"approve"/g)).toHaveLength(1);
  for (const w of [w1, w2]) expectNoSecrets(w.output(), [alice, bob]);
  expectNoSecrets(history, [alice, bob]);
});

test('a worker restarted with alice’s key removed from the file ignores her new signed decisions; bob’s count', async () => {
  const approversFile = keys.write('approvers-restart', `alice ${alice.line}\nbob ${bob.line}\n`);
  const r = await rig(approversFile);
  const w1 = await r.startWorker('worker-1');
  const id = `e2e-signed-restart-${Date.now().toString(36)}`;
  const deploy = startCli(
    [
      'deploy',
      ...EB,
      ...FAST,
      '--wait',
      '--id',
      id,
      '--requested-by',
      'ci',
      '--approver',
      'alice',
      '--approver',
      'bob',
    ],
    r.cliEnv,
  );
  const handle = client.workflow.getHandle(id);
  await eventually(
    async () => ((await handle.query(stateQuery).catch(() => undefined))?.gate ? true : undefined),
    'the conflict gate opens',
    60_000,
  );
  w1.kill('SIGTERM');
  await w1.exited;
  keys.write('approvers-restart', `bob ${bob.line}\n`); // alice's key is removed
  await r.startWorker('worker-2');

  // Unsigned, from the CLI without a key: not applied, and the CLI says why (exit 9).
  const cliUnsigned = await runCli(['approve', id, '--by', 'alice'], r.cliEnv);
  expectExit(cliUnsigned, 9);
  expect(cliUnsigned.stdout + cliUnsigned.stderr).toContain('unsigned: this gate takes signed decisions only');
  // Unsigned, with `temporal workflow signal` (what the UI's signal form sends): recorded and ignored.
  expectExit(await temporalSignal(server.address, id, 'approve', JSON.stringify({ by: 'alice' })), 0);
  const unsigned = await eventually(
    async () => (await handle.query(stateQuery)).decisions.find((x) => /^signature: unsigned: /.test(x.ignored ?? '')),
    'the unsigned signal is recorded',
    30_000,
  );
  expect(unsigned).toMatchObject({ by: 'alice', applied: false });

  // Alice signs with the key she still holds: no longer listed, so it does not verify.
  expectExit(await temporalSignal(server.address, id, 'approve', await signedPayload(r, id, alice, 'alice')), 0);
  const ignored = await eventually(
    async () =>
      (await handle.query(stateQuery)).decisions.find((x) => /^signature: (?!unsigned)/.test(x.ignored ?? '')),
    'alice’s signed decision is recorded',
    30_000,
  );
  expect(ignored).toMatchObject({ by: 'alice', applied: false, signature: { verified: false } });
  expect(await starts(r.sim)).toBe(0);

  expectExit(await temporalSignal(server.address, id, 'approve', await signedPayload(r, id, bob, 'bob')), 0);
  const d = await cliResult(deploy, 180_000);
  expectExit(d, ExitCode.Success);
  const result = (await handle.result()) as DeployResult;
  // Only bob's counted. Alice's unsigned signal and her signature with the removed key are recorded and ignored with
  // their reasons; the CLI's unsigned Update was refused by the validator and left no record (the gate asked the
  // worker about its approvers file before it opened, and the new worker read that answer from history).
  expect(result.decisions.filter((x) => x.applied).map((x) => x.by)).toEqual(['bob']);
  const aliceWhy = result.decisions.filter((x) => !x.applied).map((x) => `${x.by}: ${x.ignored ?? ''}`);
  expect(aliceWhy.every((w) => w.startsWith('alice: signature: '))).toBe(true);
  expect(aliceWhy.filter((w) => w.includes('unsigned'))).toHaveLength(1);
  expect(aliceWhy.filter((w) => !w.includes('unsigned'))).toHaveLength(1);
  expect(await r.sim.creates()).toBe(1);
  expect(await starts(r.sim)).toBe(1);
});

test('promote --sign-with: the release request is signed by its requester, a verified principal in status, at the gate and in the result', async () => {
  const approversFile = keys.write('approvers-release', `alice ${alice.line}\nbob ${bob.line}\n`);
  const r = await rig(approversFile, { conflicts: false });
  const w = await r.startWorker('worker-1');
  const id = `e2e-signed-release-${Date.now().toString(36)}`;
  const args = ['--app', 'EmployeeBackoffice', '--through', 'Development,Production', ...FAST, '--id', id];
  const gate = ['--gate-before', 'Production', '--approver', 'alice', '--approver', 'bob'];
  const promote = startCli(
    ['promote', ...args, ...gate, '--requested-by', 'bob', '--sign-with', bob.priv, '--wait'],
    r.cliEnv,
  );
  const handle = client.workflow.getHandle(id);
  const signedBy = `requested by bob [signed, key ${bob.fingerprint}]`;
  // While the promotion gate waits, status shows the verified requester.
  const running = await eventually(
    async () => {
      const st = await runCli(['status', id], r.cliEnv);
      return st.stdout.includes('promotion') && st.stdout.includes(signedBy) ? st : undefined;
    },
    'status shows the promotion gate and the signed requester',
    60_000,
  );
  expectExit(running, ExitCode.Success);
  // Bob requested this release: his own signed go is refused as self-approval between verified principals (the
  // Update's refusal, nothing recorded); alice's counts.
  const own = await runCli(['approve', id, '--by', 'bob', '--sign-with', bob.priv], r.cliEnv);
  expectExit(own, 9);
  expect(own.stdout).toContain(
    `not allowed: self-approval (bob requested this release, signed with key ${bob.fingerprint})`,
  );
  expectExit(await runCli(['approve', id, '--by', 'alice', '--sign-with', alice.priv], r.cliEnv), ExitCode.Success);
  const out = await cliResult(promote, 180_000);
  expectExit(out, ExitCode.Success);
  expect(out.stdout).toContain(signedBy);
  const result = (await handle.result()) as ReleaseResult;
  expect(result.outcome).toBe('succeeded');
  expect(result.requester).toEqual({ principal: 'bob', fingerprint: bob.fingerprint });
  expect(result.decisions).toEqual([
    expect.objectContaining({
      by: 'alice',
      applied: true,
      signature: { verified: true, principal: 'alice', fingerprint: alice.fingerprint },
    }),
  ]);
  expect((await runCli(['status', id], r.cliEnv)).stdout).toContain(signedBy);
  expect(await r.sim.creates()).toBe(1);
  const history = JSON.stringify(await handle.fetchHistory());
  expectNoSecrets(history, [alice, bob]);
  expectNoSecrets(w.output(), [alice, bob]);
});

test('deploy --sign-with: a bad key or a requester that is no principal exits 2 naming the flag, before connecting', async () => {
  // Nothing listens on this port: a command that tried to start a workflow would fail otherwise.
  const env = cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:9' });
  const missing = await runCli(['deploy', ...EB, '--requested-by', 'alice', '--sign-with', '/nonexistent/key'], env);
  expectExit(missing, ExitCode.InvalidInput);
  expect(missing.stderr).toMatch(/--sign-with \/nonexistent\/key: /);
  const notOne = await runCli(['deploy', ...EB, '--requested-by', 'alice smith', '--sign-with', alice.priv], env);
  expectExit(notOne, ExitCode.InvalidInput);
  expect(notOne.stderr).toContain('--requested-by "alice smith": a signed request\'s requester is its principal');
  // promote: the same checks.
  const route = ['--app', 'EmployeeBackoffice', '--through', 'Development,Production'];
  const promoteMissing = await runCli(
    ['promote', ...route, '--requested-by', 'alice', '--sign-with', '/nonexistent/key'],
    env,
  );
  expectExit(promoteMissing, ExitCode.InvalidInput);
  expect(promoteMissing.stderr).toMatch(/--sign-with \/nonexistent\/key: file not found/);
  const promoteNotOne = await runCli(
    ['promote', ...route, '--requested-by', 'alice smith', '--sign-with', alice.priv],
    env,
  );
  expectExit(promoteNotOne, ExitCode.InvalidInput);
  expect(promoteNotOne.stderr).toContain(
    '--requested-by "alice smith": a signed request\'s requester is its principal',
  );
});

test('leaves no processes behind', async () => {
  await stopEverything();
  expect(survivors()).toEqual([]);
});
