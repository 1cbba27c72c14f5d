/**
 * LifeTime stops for missing extension database mappings (`needs_configuration_or_confirmation`): the gate shows what
 * is missing, an approval carries the mapping, a wrong connection keeps the gate open with LifeTime's message, and
 * decisions sent as Workflow Updates are answered at once (refusals leave no history).
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { approveUpdate, type DeployState } from '../../src/workflows/messages';
import { startDevServer } from '../harness';
import { request, useRigs, waitForState } from './helpers';

let env: TestWorkflowEnvironment;
const rigs = useRigs(startDevServer, (started) => (env = started));

const CONFIGURE = /\/deployments\/[^/]+\/configuration\/?$/;

test('missing mapping: shown at the gate; a wrong connection keeps it open with LifeTime’s message; the right one finishes the plan', async () => {
  const r = await rigs.make();
  const handle = await r.start(
    request({ applications: [{ app: 'DocumentArchive' }], policies: { approvers: ['alice'] } }),
  );
  const result = await r.run(async () => {
    const open = await waitForState(handle, (s) => s.gate?.kind === 'intervention');
    expect(open.info).toBe('needs_configuration_or_confirmation');
    expect(open.gate?.missingMappings).toEqual([
      { extensionKey: expect.any(String), extension: 'ArchiveStorage', logicalDatabase: 'ArchiveDB' },
    ]);
    expect(open.gate?.reason).toContain('Missing database mappings: ArchiveStorage:ArchiveDB');

    // Refused by the validator: not an approver. Nothing of it enters the history (other events, such as the end of
    // the workflow task that opened the gate, may still land meanwhile).
    const refused = await handle.executeUpdate(approveUpdate, { args: [{ by: 'mallory' }] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(/mallory is not on the approver list/);
    const after = await handle.fetchHistory();
    expect(after.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(0);
    expect(JSON.stringify(after)).not.toContain('mallory');

    // No mapping given: the gate stays open and says what is missing.
    const none = await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    expect(none.applied).toBe(false);
    expect(none.ignored).toMatch(/database mappings still missing: ArchiveStorage:ArchiveDB; approve with --map/);

    // A wrong connection: LifeTime refuses; its message is shown and the gate (same ID) stays open.
    const wrong = await handle.executeUpdate(approveUpdate, {
      args: [
        {
          by: 'alice',
          mappings: [{ extension: 'ArchiveStorage', logicalDatabase: 'ArchiveDB', connection: 'NoSuchDB' }],
        },
      ],
    });
    expect(wrong.applied).toBe(false);
    expect(wrong.ignored).toMatch(/LifeTime refused the mappings: .*NoSuchDB/);
    const still: DeployState = await waitForState(handle, (s) => !!s.gate?.problem);
    expect(still.gate?.id).toBe(open.gate?.id);
    expect(still.gate?.deadline).toBe(open.gate?.deadline);
    expect(still.gate?.problem).toMatch(/NoSuchDB/);
    expect(still.lifetimeStatus).toBe('needs_user_intervention');

    const right = await handle.executeUpdate(approveUpdate, {
      args: [
        {
          by: 'alice',
          reason: 'mapped to prod',
          mappings: [{ extension: 'ArchiveStorage', logicalDatabase: 'ArchiveDB', connection: 'ArchiveProdDB' }],
        },
      ],
    });
    expect(right).toMatchObject({ applied: true, by: 'alice', gate: 'intervention' });
    return handle.result();
  });
  expect(result.outcome).toBe('succeeded');
  const configure = r.sim.requests().filter((q) => q.method === 'POST' && CONFIGURE.test(q.path));
  expect(configure.map((q) => q.status)).toEqual([400, 200]);
  // LifeTime resumes the plan on a successful configuration call, so no `continue` is needed after it.
  expect(r.sim.requests().filter((q) => q.method === 'POST' && /\/continue\/?$/.test(q.path))).toEqual([]);
  expect(r.sim.data().environments.find((e) => e.name === 'Production')!.dbMappings).toEqual([
    expect.objectContaining({ logicalDatabase: 'ArchiveDB', databaseName: 'ArchiveProdDB' }),
  ]);
  expect(result.decisions.filter((d) => d.by === 'alice').map((d) => d.applied)).toEqual([false, false, true]);
  void env;
});
