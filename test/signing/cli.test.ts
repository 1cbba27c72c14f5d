/**
 * `lifetime-deploy approve|reject … --sign-with <key>`: the CLI asks the workflow which gate is open and signs for
 * it. `--print-payload` prints the signed JSON (for `temporal workflow signal --input`) and sends nothing; that
 * output verifies with the worker's activity. Bad signing flags are refused before anything connects.
 * (A dev server, the real workflow and a simulator; the CLI runs in-process.)
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createVerifyActivities } from '../../src/activities/verify';
import { ExitCode } from '../../src/cli/common';
import { runCli } from '../../src/cli/main';
import { stateQuery } from '../../src/workflows/messages';
import { SignedDecisionPayload } from '../../src/workflows/signed-decision';
import { startDevServer } from '../harness';
import { request, useRigs, waitForState, type Rig } from '../workflows/helpers';
import { expectNoSecrets, useKeyDir, type TestKey } from './keys';

let env: TestWorkflowEnvironment;
const rigs = useRigs(startDevServer, (e) => (env = e));
const keys = useKeyDir();
let alice: TestKey;
let approvers: string;

beforeAll(() => {
  alice = keys.key('alice');
  approvers = keys.write('approvers', `alice ${alice.line}\n`);
});

/** Runs the CLI in-process against the dev server; returns its exit code and what it printed. */
async function cli(rig: Rig | undefined, args: string[], extra: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    args,
    { out: (s) => out.push(s), err: (s) => err.push(s) },
    {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: env.address,
      ...(rig ? { LIFETIME_DEPLOY_TASK_QUEUE: rig.taskQueue } : {}),
      ...extra,
    },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('signing flags are checked before anything connects', () => {
  test.each([
    [['--sign-with', '/x'], '--sign-with /x: file not found'],
    [['--print-payload'], '--print-payload: only for a signed decision: add --sign-with <key>'],
    [['--expires-in', '10'], '--expires-in: only for a signed decision'],
    [['--sign-with', '<alice>', '--expires-in', '2000'], '--expires-in: expected minutes from 1 to 1440'],
    [['--sign-with', '<alice>', '--expires-in', '1e3'], '--expires-in: expected minutes from 1 to 1440'],
  ])('approve … %j → exit 2: %s', async (flags, message) => {
    const args = flags.map((f) => (f === '<alice>' ? alice.priv : f));
    const r = await cli(undefined, ['approve', 'wf-none', '--by', 'alice', ...args], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(r.code).toBe(ExitCode.InvalidInput);
    expect(r.err).toContain(`lifetime-deploy: ${message}`);
  });

  test('a --by that is no principal → exit 2 naming --by; LIFETIME_DEPLOY_SIGNING_KEY is named when it is the source', async () => {
    const by = await cli(undefined, ['reject', 'wf-none', '--by', 'John Smith', '--sign-with', alice.priv]);
    expect(by.code).toBe(ExitCode.InvalidInput);
    expect(by.err).toContain(`lifetime-deploy: --by "John Smith": a signed decision's --by is its principal`);
    const fromEnv = await cli(undefined, ['reject', 'wf-none', '--by', 'alice'], {
      LIFETIME_DEPLOY_SIGNING_KEY: '/nope',
    });
    expect(fromEnv.code).toBe(ExitCode.InvalidInput);
    expect(fromEnv.err).toContain('lifetime-deploy: LIFETIME_DEPLOY_SIGNING_KEY /nope: file not found');
  });
});

describe('at a running deployment', () => {
  test('conflict gate: --print-payload prints a signed payload for that gate, sends nothing, and it verifies', async () => {
    const r = await rigs.make();
    const handle = await r.start(request({ applications: [{ app: 'PayrollPortal' }] }));
    await r.run(async () => {
      const s = await waitForState(handle, (x) => x.gate?.kind === 'conflicts');
      const reason = 'checked with the HR team\nsecond line';
      const printed = await cli(r, [
        'approve',
        handle.workflowId,
        '--by',
        'alice',
        '--reason',
        reason,
        '--sign-with',
        alice.priv,
        '--expires-in',
        '10',
        '--print-payload',
      ]);
      expect(printed.code).toBe(ExitCode.Success);
      expect(printed.out.trim().split('\n')).toHaveLength(1); // one JSON line, for --input
      const payload = SignedDecisionPayload.parse(JSON.parse(printed.out));
      expect(payload).toMatchObject({
        by: 'alice',
        reason,
        signed: {
          principal: 'alice',
          workflowId: handle.workflowId,
          runId: handle.firstExecutionRunId,
          gateId: s.gate!.id,
          gateKind: 'conflicts',
        },
      });
      expect(Date.parse(payload.signed!.expiresAt) - Date.parse(payload.signed!.issuedAt)).toBe(10 * 60_000);
      expectNoSecrets(printed.out + printed.err, [alice]);

      const { verifyDecision } = createVerifyActivities({ approversFile: approvers });
      const expected = {
        workflowId: handle.workflowId,
        runId: handle.firstExecutionRunId,
        gateId: s.gate!.id,
        gateKind: s.gate!.kind,
        decision: 'approve' as const,
      };
      expect(await verifyDecision({ payload, expected, at: new Date().toISOString() })).toEqual({
        verified: true,
        principal: 'alice',
        fingerprint: alice.fingerprint,
      });
      // As a reject it does not count.
      expect(
        await verifyDecision({ payload, expected: { ...expected, decision: 'reject' }, at: new Date().toISOString() }),
      ).toMatchObject({ verified: false, why: 'alice signed to approve, not to reject' });

      // The key from LIFETIME_DEPLOY_SIGNING_KEY, for a reject.
      const rejected = await cli(r, ['reject', handle.workflowId, '--by', 'alice', '--print-payload'], {
        LIFETIME_DEPLOY_SIGNING_KEY: alice.priv,
      });
      expect(rejected.code).toBe(ExitCode.Success);
      expect(
        await verifyDecision({
          payload: JSON.parse(rejected.out),
          expected: { ...expected, decision: 'reject' },
          at: new Date().toISOString(),
        }),
      ).toMatchObject({ verified: true, principal: 'alice' });

      // Nothing was sent: the gate is still open and no decision is recorded.
      const after = await handle.query(stateQuery);
      expect(after.gate?.id).toBe(s.gate!.id);
      expect(after.decisions).toEqual([]);
      await handle.cancel();
      await handle.result();
    });
  });

  test('no gate open (waiting for a busy target) → exit 9, nothing signed or sent', async () => {
    const r = await rigs.make();
    r.sim.applyPreset({ name: 'busy-target', environment: 'Production' });
    const handle = await r.start(request());
    await r.run(async () => {
      await waitForState(handle, (x) => x.step === 'wait-for-target');
      const res = await cli(r, ['approve', handle.workflowId, '--by', 'alice', '--sign-with', alice.priv]);
      expect(res.code).toBe(ExitCode.Ignored);
      expect(res.out).toBe(
        `${handle.workflowId} has no gate open: nothing to sign the approve for, and nothing was sent`,
      );
      expect((await handle.query(stateQuery)).decisions).toEqual([]);
      await handle.cancel();
      await handle.result();
    });
  });

  test('no such deployment → exit 8, as for an unsigned decision', async () => {
    const res = await cli(undefined, ['approve', 'no-such-workflow', '--by', 'alice', '--sign-with', alice.priv]);
    expect(res.code).toBe(ExitCode.NotFound);
    expect(res.err).toContain('no deployment no-such-workflow');
  });
});
