/**
 * Release promotion on the dev server against the simulator over HTTP: the same versions through Development →
 * Quality → Production, with a promotion gate, skips, a newer target, a failing stage, tagging, manifests, cancel
 * and rollback. What LifeTime ends up running is read from the simulator.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { LifeTimeClient } from '../../src/lifetime';
import { SEED_KEYS } from '../../src/simulator';
import { readManifest, releaseStartOptions, rollbackPlan } from '../../src/cli/release';
import type { promoteRelease, releaseManifest } from '../../src/workflows/promote';
import { approveSignal, type DeployResult } from '../../src/workflows/messages';
import {
  RELEASE_WORKFLOW_TYPE,
  releaseStateQuery,
  type ReleaseRequestInput,
  type ReleaseState,
  type TriggerManifest,
} from '../../src/workflows/release-messages';
import { startDevServer } from '../harness';
import { FAST_POLLING, maybeRecordHistory, useRigs, type Rig } from './helpers';

let env: TestWorkflowEnvironment;
const rigs = useRigs(startDevServer, (started) => (env = started));

const THREE = ['HRCore', 'EmployeeBackoffice', 'PayrollPortal'];
const ROUTE = ['Development', 'Quality', 'Production'];

function release(o: Partial<ReleaseRequestInput> = {}): ReleaseRequestInput {
  return {
    applications: THREE.map((app) => ({ app })),
    route: ROUTE,
    requestedBy: 'ci-bot',
    ...o,
    policies: { polling: FAST_POLLING, ...(o.policies ?? {}) },
  };
}

let n = 0;
const startRelease = (r: Rig, req: ReleaseRequestInput, id = `release-${r.taskQueue}-${++n}`) =>
  env.client.workflow.start<typeof promoteRelease>(RELEASE_WORKFLOW_TYPE, releaseStartOptions(req, r.taskQueue, id));

/** Version key each application runs in an environment (from the simulator's data). */
function running(r: Rig, envName: string, apps: string[]): Record<string, string | undefined> {
  const data = r.sim.data();
  const envKey = data.environments.find((e) => e.name === envName)!.key;
  return Object.fromEntries(
    apps.map((name) => {
      const app = data.applications.find((a) => a.name === name)!;
      return [name, app.environments.find((e) => e.environment === envKey)?.version];
    }),
  );
}

const plansTo = (r: Rig, envName: string) => r.sim.plans().filter((p) => p.targetEnvironmentName === envName);

async function waitForRelease(
  handle: { query: (q: typeof releaseStateQuery) => Promise<ReleaseState> },
  pred: (s: ReleaseState) => boolean,
  ms = 60_000,
): Promise<ReleaseState> {
  const until = Date.now() + ms;
  let last: ReleaseState | undefined;
  while (Date.now() < until) {
    last = await handle.query(releaseStateQuery).catch(() => undefined);
    if (last && pred(last)) return last;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`release state not reached; last: ${JSON.stringify(last)?.slice(0, 1500)}`);
}

test('Dev → QA → Prod with a go before Production: every environment runs the pinned version keys', async () => {
  const r = await rigs.make();
  const pinnedInDev = running(r, 'Development', THREE);
  const handle = await startRelease(r, release({ gateBefore: ['Production'], policies: { approvers: ['alice'] } }));
  const result = await r.run(async () => {
    const s = await waitForRelease(handle, (x) => x.gate?.kind === 'promotion');
    expect(s.stages.map((st) => st.status)).toEqual(['deployed', 'gate']);
    expect(plansTo(r, 'Production')).toHaveLength(0); // nothing is created before the go
    await handle.signal(approveSignal, { by: 'mallory' }); // not an approver: ignored
    await handle.signal(approveSignal, { by: 'alice', reason: 'QA signed off' });
    const first = await handle.result();
    await maybeRecordHistory(env, handle.workflowId, 'release-gate-approve');
    // The same release again: nothing to do anywhere, no plan.
    const plansBefore = r.sim.plans().length;
    const againHandle = await startRelease(r, release({ gateBefore: ['Production'] }));
    const again = await againHandle.result();
    await maybeRecordHistory(env, againHandle.workflowId, 'release-skip');
    expect(again.outcome).toBe('succeeded');
    expect(again.stages.map((s) => s.status)).toEqual(['skipped', 'skipped']);
    expect(again.stages.every((s) => /already deployed/.test(s.message ?? ''))).toBe(true);
    expect(r.sim.plans()).toHaveLength(plansBefore);
    return first;
  });
  expect(result.outcome).toBe('succeeded');
  expect(result.pinned.map((p) => p.versionKey)).toEqual(THREE.map((a) => pinnedInDev[a]));
  for (const envName of ROUTE) expect(running(r, envName, THREE)).toEqual(pinnedInDev);
  // One plan a stage; Quality already ran two of the three, so its plan holds only PayrollPortal.
  expect(plansTo(r, 'Quality')).toHaveLength(1);
  expect(plansTo(r, 'Quality')[0]!.applications.map((a) => a.applicationName)).toEqual(['PayrollPortal']);
  expect(plansTo(r, 'Production')).toHaveLength(1);
  expect(
    plansTo(r, 'Production')[0]!
      .applications.map((a) => a.applicationName)
      .sort(),
  ).toEqual([...THREE].sort());
  expect(result.stages.map((s) => [s.target.name, s.status, s.outcome])).toEqual([
    ['Quality', 'deployed', 'succeeded'],
    ['Production', 'deployed', 'succeeded'],
  ]);
  expect(result.stages[1]!.before?.map((b) => `${b.name} ${b.versionLabel}`).sort()).toEqual([
    'EmployeeBackoffice 0.9',
    'HRCore 1.0',
    'PayrollPortal 1.0',
  ]);
  expect(result.decisions.filter((d) => d.gate === 'promotion').map((d) => [d.by, d.applied])).toEqual([
    ['mallory', false],
    ['alice', true],
  ]);
  expect(result.manifest.ApplicationVersions.map((a) => a.VersionKey)).toEqual(THREE.map((a) => pinnedInDev[a]));
});

test('a newer version in Production stops the release before anything is created there', async () => {
  const r = await rigs.make();
  const lt = new LifeTimeClient({ baseUrl: r.sim.url, token: r.sim.token, timeoutMs: 5000 });
  await lt.environments.tagVersion(SEED_KEYS.production, SEED_KEYS.employeeBackoffice, {
    Version: '2.0',
    ChangeLog: 'hotfix',
  });
  const result = await r.run(async () => {
    const h = await startRelease(r, release());
    const res = await h.result();
    await maybeRecordHistory(env, h.workflowId, 'release-newer-stop');
    return res;
  });
  expect(result.outcome).toBe('failed');
  expect(result.failure?.type).toBe('NewerInTarget');
  expect(result.failure?.message).toMatch(/EmployeeBackoffice: Production runs 2\.0, newer than the pinned 1\.0/);
  expect(result.stages.map((s) => s.status)).toEqual(['deployed', 'stopped']);
  expect(plansTo(r, 'Production')).toHaveLength(0);
});

test('a failing Quality stage (finished_with_errors): Production is never attempted', async () => {
  const r = await rigs.make();
  r.sim.setScenario({ application: 'PayrollPortal', outcome: 'finished_with_errors' });
  const result = await r.run(async () => {
    const h = await startRelease(r, release());
    const res = await h.result();
    await maybeRecordHistory(env, h.workflowId, 'release-stage-fails');
    return res;
  });
  expect(result.outcome).toBe('failed');
  expect(result.failure?.type).toBe('FinishedWithErrors');
  expect(result.stages.map((s) => s.status)).toEqual(['stopped', 'pending']);
  expect(plansTo(r, 'Production')).toHaveLength(0);
});

test('tagModified: a modified application is tagged in Development, and that version reaches Production', async () => {
  const r = await rigs.make();
  const result = await r.run(async () =>
    (await startRelease(r, release({ applications: [{ app: 'ExpenseTracker' }], tagModified: true }))).result(),
  );
  expect(result.outcome).toBe('succeeded');
  expect(result.tagged).toEqual([{ name: 'ExpenseTracker', versionLabel: '2.2' }]);
  const tagged = result.pinned[0]!.versionKey;
  expect(tagged).not.toBe(SEED_KEYS.expenseTracker21);
  expect(running(r, 'Production', ['ExpenseTracker']).ExpenseTracker).toBe(tagged);
  expect(running(r, 'Development', ['ExpenseTracker']).ExpenseTracker).toBe(tagged);
});

test('manifests: one written by releaseManifest and one written by hand both promote', async () => {
  const r = await rigs.make();
  const dir = mkdtempSync(path.join(tmpdir(), 'manifest-'));
  await r.run(async () => {
    const written = await env.client.workflow.execute<typeof releaseManifest>('releaseManifest', {
      taskQueue: r.taskQueue,
      workflowId: `manifest-${r.taskQueue}`,
      args: [{ applications: ['PayrollPortal', 'HRCore'], environment: 'Development' }],
    });
    expect(written.ApplicationVersions.map((a) => [a.ApplicationName, a.VersionNumber, a.DeploymentZoneName])).toEqual([
      ['PayrollPortal', '1.2', 'Global'],
      ['HRCore', '1.2', 'Global'],
    ]);
    const file1 = path.join(dir, 'written.json');
    writeFileSync(file1, JSON.stringify(written));
    const byHand: TriggerManifest = {
      ApplicationVersions: [
        {
          ApplicationKey: SEED_KEYS.employeeBackoffice,
          ApplicationName: 'EmployeeBackoffice',
          VersionKey: SEED_KEYS.employeeBackoffice10,
          VersionNumber: '1.0',
          IsTestApplication: false,
        },
        {
          ApplicationKey: 'aaaaaaaa-0000-4000-8000-000000000000',
          ApplicationName: 'EmployeeBackofficeTests',
          VersionKey: 'aaaaaaaa-0001-4000-8000-000000000000',
          VersionNumber: '1.0',
          IsTestApplication: true,
        },
      ],
      EnvironmentDefinitions: [
        { EnvironmentKey: SEED_KEYS.development, EnvironmentName: 'Development', EnvironmentLabel: 'DEV' },
      ],
      ConfigurationItems: [],
      DeploymentNotes: 'hand-written',
    };
    const file2 = path.join(dir, 'by-hand.json');
    writeFileSync(file2, JSON.stringify(byHand));
    const route = ['Quality', 'Production'];
    const a = await (
      await startRelease(r, release({ applications: [], pinned: readManifest(file1).pinned, route }))
    ).result();
    const b = await (
      await startRelease(r, release({ applications: [], pinned: readManifest(file2).pinned, route }))
    ).result();
    expect([a.outcome, b.outcome]).toEqual(['succeeded', 'succeeded']);
    expect(running(r, 'Production', ['PayrollPortal', 'HRCore', 'EmployeeBackoffice'])).toEqual({
      PayrollPortal: SEED_KEYS.payrollPortal12,
      HRCore: SEED_KEYS.hrCore12,
      EmployeeBackoffice: SEED_KEYS.employeeBackoffice10,
    });
    expect(b.pinned.map((p) => p.name)).toEqual(['EmployeeBackoffice']); // the test application is left out
    // The manifest's zone name ("Global") is looked up in each target: Production's Global zone.
    const prod = plansTo(r, 'Production').find((p) => p.applications.some((x) => x.applicationName === 'HRCore'))!;
    expect(prod.applications.map((x) => x.zoneKey)).toEqual([
      SEED_KEYS.productionGlobalZone,
      SEED_KEYS.productionGlobalZone,
    ]);
  });
});

test('cancel during the Quality stage: its plan is cleaned up, Production untouched', async () => {
  const r = await rigs.make({ speed: 20 });
  const handle = await startRelease(r, release());
  const result = await r.run(async () => {
    await waitForRelease(handle, (s) => s.stages[0]?.status === 'deploying');
    const qa = await (async () => {
      for (;;) {
        const p = plansTo(r, 'Quality')[0];
        if (p?.started) return p;
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    expect(qa.status).toBe('running');
    await handle.cancel();
    const res = await handle.result();
    await maybeRecordHistory(env, handle.workflowId, 'release-cancel');
    return res;
  });
  expect(result.outcome).toBe('cancelled');
  expect(result.stages.map((s) => s.status)).toEqual(['stopped', 'pending']);
  const qa = plansTo(r, 'Quality');
  expect(qa).toHaveLength(1);
  expect(['aborted', 'aborting']).toContain(r.sim.plan(qa[0]!.key).status);
  expect(plansTo(r, 'Production')).toHaveLength(0);
});

test('rollback of the Production stage: Production runs the previous versions again; a refusal creates nothing', async () => {
  const r = await rigs.make();
  const before = running(r, 'Production', THREE);
  await r.run(async () => {
    const rel = await (await startRelease(r, release())).result();
    expect(rel.outcome).toBe('succeeded');
    const plan = rollbackPlan(rel, 'production');
    expect(plan.notThereBefore).toEqual([]);
    const deploy = async (id: string) =>
      (
        await r.start(
          {
            applications: plan.apps,
            source: plan.stage.source.name,
            target: plan.stage.target.name,
            requestedBy: 'ci-bot',
            policies: { polling: FAST_POLLING },
          },
          id,
        )
      ).result();
    // A refusal first: PayrollPortal is blocked for Production → LifeTime refuses the plan, nothing is created.
    const block = async (isBlocked: boolean) => {
      const res = await fetch(`${r.sim.url}/applications/${SEED_KEYS.payrollPortal}/configurations/`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${r.sim.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          configurations: [
            { environmentKey: SEED_KEYS.production, isBlocked, isBlockedChangeReason: 'release freeze' },
          ],
        }),
      });
      expect(res.status).toBe(204);
    };
    await block(true);
    const plans = r.sim.plans().length;
    const refused: DeployResult = await deploy(`rollback-refused-${r.taskQueue}`);
    expect(refused.outcome).toBe('failed');
    expect(refused.failure?.message).toMatch(/blocked/);
    expect(r.sim.plans()).toHaveLength(plans);
    await block(false);
    const rolledBack: DeployResult = await deploy(`rollback-${r.taskQueue}`);
    expect(rolledBack.outcome).toBe('succeeded');
    expect(running(r, 'Production', THREE)).toEqual(before);
  });
});
