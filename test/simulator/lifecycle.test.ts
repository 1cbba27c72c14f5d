/**
 * The plan state machine (reference §5): commands and their preconditions, interventions, outcomes,
 * aborts and the point of no return, conflicts and the conflict gate, parallel limits, and what a finished
 * plan changes in the target. Per-poll progression (one step per status poll) unless said otherwise.
 */
import { INTERVENTION_INFOS } from '../../src/lifetime/schemas';
import type { SimulatorHandle } from '../../src/simulator';
import { Api, isTerminal, K, PROD, QA, startTestSimulator, useTestSimulator } from './helpers';

let sim: SimulatorHandle;
let api: Api;
useTestSimulator((started) => ({ sim, api } = started));

type Details = {
  Deployment: { AbortedOn: string; AbortedBy: string; StartedOn: string };
  ApplicationConflicts: {
    Message: string;
    ProducerApplicationOperation: { ApplicationKey: string };
    ConsumerApplicationOperation: { ApplicationKey: string; DeploymentOperation: string };
    ModuleConflict: { ConflictType: string; TotalRequiredElements: number };
  }[];
  ApplicationsToRedeploy: string[];
};
const details = async (key: string): Promise<Details> => (await api.get(`/deployments/${key}/`)).json<Details>();
const errorText = async (p: Promise<{ status: number; text: string }>): Promise<[number, string]> => {
  const r = await p;
  return [r.status, r.text];
};
const runningVersion = async (env: string, app: string): Promise<string> =>
  (await api.get(`/environments/${env}/applications/${app}/?IncludeEnvStatus=true`)).json<{
    AppStatusInEnvs: { BaseApplicationVersionKey: string }[];
  }>().AppStatusInEnvs[0]!.BaseApplicationVersionKey;

describe('commands and their preconditions', () => {
  test('start: 202 once, then 400 with the documented wording; the first status after start is running', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    expect((await api.status(key)).DeploymentStatus).toBe('saved');
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(202);
    expect(sim.plan(key).status).toBe('running');
    const [status, text] = await errorText(api.post(`/deployments/${key}/start/`));
    expect(status).toBe(400);
    expect(text).toContain(`Command start can't be executed for deployment ${key}`);
    const first = await api.status(key);
    expect(first.DeploymentStatus).toBe('running');
    expect(first.DeploymentLog.map((l) => l.Message)).toEqual(['Uploading modules from Development to Production']);
    expect((await api.status(key)).DeploymentStatus).toBe('running');
    expect((await details(key)).Deployment.StartedOn).not.toBe('1900-01-01T00:00:00');
  });

  test('savedAfterStart (opt-in): the first status after a 202 start is still saved, for one step; then running', async () => {
    sim.setScenario({ application: 'EmployeeBackoffice', savedAfterStart: true });
    const key = await api.create([K.employeeBackoffice10]);
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(202);
    expect(sim.plan(key).steps[0]).toMatchObject({ id: 'queued', status: 'saved' });
    const [status, text] = await errorText(api.post(`/deployments/${key}/start/`));
    expect([status, text.includes('already starting')]).toEqual([400, true]);
    const first = await api.status(key);
    expect([first.DeploymentStatus, first.DeploymentLog]).toEqual(['saved', []]);
    expect((await details(key)).Deployment.StartedOn).not.toBe('1900-01-01T00:00:00');
    expect((await api.status(key)).DeploymentStatus).toBe('running');
    expect(sim.plan(key).steps[sim.plan(key).pointOfNoReturn]!.id).toMatch(/^module-db:/);
    expect((await api.pollUntil(key, isTerminal)).DeploymentStatus).toBe('finished_successful');
    const other = await api.create([K.hrCore12], { target: QA });
    await api.post(`/deployments/${other}/start/`);
    expect((await api.status(other)).DeploymentStatus).toBe('running'); // only where the scenario applies
  });

  test('savedAfterStart in wall-clock mode: saved for a few LifeTime seconds after start, then running', async () => {
    const wall = await startTestSimulator({ progression: 'wall', speed: 1 });
    try {
      wall.sim.setScenario({ savedAfterStart: true });
      const key = await wall.api.create([K.employeeBackoffice10]);
      await wall.api.post(`/deployments/${key}/start/`);
      expect((await wall.api.status(key)).DeploymentStatus).toBe('saved');
      wall.sim.setConfig({ speed: 1_000 });
      await new Promise((r) => setTimeout(r, 20));
      expect((await wall.api.status(key)).DeploymentStatus).toBe('running');
    } finally {
      await wall.sim.close();
    }
  });

  test('continue when nothing waits → 400; unknown command or plan → 404', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    const [status, text] = await errorText(api.post(`/deployments/${key}/continue/`));
    expect([status, text.includes(`Command continue can't be executed for deployment ${key}`)]).toEqual([400, true]);
    expect((await api.post(`/deployments/${key}/pause/`)).status).toBe(404);
    expect((await api.post('/deployments/nope/start/')).status).toBe(404);
  });

  test('delete: 204 for a saved plan (then 404); 400 once started; update refused once started', async () => {
    const a = await api.create([K.employeeBackoffice10]);
    expect((await api.del(`/deployments/${a}/`)).status).toBe(204);
    expect((await api.get(`/deployments/${a}/`)).status).toBe(404);
    expect((await api.del(`/deployments/${a}/`)).status).toBe(404);
    const b = await api.create([K.employeeBackoffice10]);
    await api.post(`/deployments/${b}/start/`);
    const [status, text] = await errorText(api.del(`/deployments/${b}/`));
    expect(status).toBe(400);
    expect(text).toContain('cannot be deleted');
    expect((await api.put(`/deployments/${b}/`, { Notes: 'x' })).status).toBe(400);
  });

  test('abort before the point of no return: aborting for one poll, then aborted (AbortedOn set)', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    expect((await api.post(`/deployments/${key}/abort/`)).status).toBe(400); // not started
    await api.post(`/deployments/${key}/start/`);
    await api.pollUntil(key, (s) => s.DeploymentStatus === 'running');
    expect((await api.post(`/deployments/${key}/abort/`)).status).toBe(202);
    expect((await api.status(key)).DeploymentStatus).toBe('aborting');
    expect((await api.post(`/deployments/${key}/abort/`)).status).toBe(400);
    const end = await api.status(key);
    expect(end.DeploymentStatus).toBe('aborted');
    expect(end.DeploymentLog.at(-1)).toMatchObject({ Message: 'Deployment aborted.', Type: 'Warning' });
    const d = await details(key);
    expect(d.Deployment.AbortedOn).not.toBe('1900-01-01T00:00:00');
    expect(d.Deployment.AbortedBy).toBe('Deploy Service Account');
    expect(await runningVersion(PROD, K.employeeBackoffice)).not.toBe(K.employeeBackoffice10);
  });

  test('abort after the point of no return → 400 (the default and a scenario-defined point)', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    await api.post(`/deployments/${key}/start/`);
    const ponr = sim.plan(key).pointOfNoReturn;
    expect(sim.plan(key).steps[ponr]!.id).toMatch(/^module-db:/);
    sim.advance({ key, phases: ponr - 1 });
    expect((await api.post(`/deployments/${key}/abort/`)).status).toBe(202);
    const late = await api.create([K.hrCore12], { target: QA });
    await api.post(`/deployments/${late}/start/`);
    sim.advance({ key: late, phases: sim.plan(late).pointOfNoReturn });
    const [status, text] = await errorText(api.post(`/deployments/${late}/abort/`));
    expect(status).toBe(400);
    expect(text).toContain(`Command abort can't be executed for deployment ${late}`);
    sim.setScenario({ application: 'PayrollPortal', pointOfNoReturnPhase: 2 });
    const early = await api.create([K.payrollPortal12], { target: QA });
    await api.post(`/deployments/${early}/start/`);
    sim.advance({ key: early, phases: 2 });
    expect((await api.post(`/deployments/${early}/abort/`)).status).toBe(400);
  });
});

describe('interventions', () => {
  test.each(INTERVENTION_INFOS)(
    '%s: stops with that Info and a log entry; continue finishes the plan',
    async (info) => {
      sim.setScenario({ application: K.employeeBackoffice, interventions: [{ info }] });
      const key = await api.create([K.employeeBackoffice10]);
      await api.post(`/deployments/${key}/start/`);
      const waiting = await api.pollUntil(key, (s) => s.DeploymentStatus === 'needs_user_intervention');
      expect(waiting.Info).toBe(info);
      const again = await api.status(key);
      expect([again.DeploymentStatus, again.Info]).toEqual(['needs_user_intervention', info]);
      const expectedType = {
        deployment_prepared: 'Info',
        needs_configuration_or_confirmation: 'Warning',
        business_process_impact: 'Warning',
        deployment_suspended: 'Error',
      }[info];
      expect(again.DeploymentLog.at(-1)!.Type).toBe(expectedType);
      expect((await api.post(`/deployments/${key}/continue/`)).status).toBe(202);
      const after = await api.status(key);
      expect([after.DeploymentStatus, after.Info]).toEqual(['running', '']);
      expect(after.DeploymentLog.some((l) => l.Message.startsWith('Deployment continued by'))).toBe(true);
      expect((await api.pollUntil(key, isTerminal)).DeploymentStatus).toBe('finished_successful');
    },
  );

  test('atPhase: a step index or prepared (the end of stage one); several interventions in order', async () => {
    sim.setScenario({
      interventions: [
        { info: 'business_process_impact', atPhase: 2 },
        { info: 'deployment_prepared', atPhase: 'prepared' },
      ],
    });
    const key = await api.create([K.employeeBackoffice10]);
    await api.post(`/deployments/${key}/start/`);
    expect(sim.plan(key).pendingInterventions).toEqual([
      { info: 'business_process_impact', at: 2 },
      { info: 'deployment_prepared', at: sim.plan(key).pointOfNoReturn },
    ]);
    await api.pollUntil(key, (s) => s.Info === 'business_process_impact');
    expect(sim.plan(key).step!.index).toBe(1);
    await api.post(`/deployments/${key}/continue/`);
    await api.pollUntil(key, (s) => s.Info === 'deployment_prepared');
    expect(sim.plan(key).step!.id).toBe('compile');
    expect((await api.post(`/deployments/${key}/abort/`)).status).toBe(202);
    expect((await api.pollUntil(key, isTerminal)).DeploymentStatus).toBe('aborted');
  });

  test('a two-step target pauses with deployment_prepared without any scenario', async () => {
    const data = sim.data();
    data.environments.find((e) => e.key === QA)!.twoStepDeployment = true;
    const other = await startTestSimulator({ data });
    try {
      const key = await other.api.create([K.hrCore12], { target: QA });
      await other.api.post(`/deployments/${key}/start/`);
      expect((await other.api.pollUntil(key, (s) => s.DeploymentStatus === 'needs_user_intervention')).Info).toBe(
        'deployment_prepared',
      );
    } finally {
      await other.sim.close();
    }
  });

  test('deployment_suspended can be aborted even after the point of no return', async () => {
    sim.setScenario({ interventions: [{ info: 'deployment_suspended' }] });
    const key = await api.create([K.employeeBackoffice10]);
    await api.post(`/deployments/${key}/start/`);
    await api.pollUntil(key, (s) => s.Info === 'deployment_suspended');
    expect(sim.plan(key).step!.index).toBeGreaterThanOrEqual(sim.plan(key).pointOfNoReturn);
    expect((await api.post(`/deployments/${key}/abort/`)).status).toBe(202);
    expect((await api.pollUntil(key, isTerminal)).seen).toContain('aborting');
  });

  test('extension DB mappings: natural needs_configuration_or_confirmation, D8 lists them, D9 maps and continues', async () => {
    const key = await api.create([K.documentArchive11]);
    expect((await api.post(`/deployments/${key}/configuration/`, [])).status).toBe(400);
    await api.post(`/deployments/${key}/start/`);
    await api.pollUntil(key, (s) => s.Info === 'needs_configuration_or_confirmation');
    const missing = (await api.get(`/deployments/${key}/getmissingdbmappings/`)).json<
      { ExtensionKey: string; ExtensionName: string; LogicalDatabase: string }[]
    >();
    expect(missing).toEqual([
      { ExtensionKey: expect.any(String), ExtensionName: 'ArchiveStorage', LogicalDatabase: 'ArchiveDB' },
    ]);
    const ext = missing[0]!.ExtensionKey;
    const wrong = [
      [
        { ExtensionKey: 'nope', DBMapping: [{ DatabaseName: 'ArchiveProdDB', LogicalDatabaseName: 'ArchiveDB' }] },
        'not part of this deployment',
      ],
      [
        { ExtensionKey: ext, DBMapping: [{ DatabaseName: 'ArchiveProdDB', LogicalDatabaseName: 'Other' }] },
        'logical database Other',
      ],
      [
        { ExtensionKey: ext, DBMapping: [{ DatabaseName: 'Elsewhere', LogicalDatabaseName: 'ArchiveDB' }] },
        'database Elsewhere',
      ],
      [{ ExtensionKey: ext, DBMapping: [] }, 'not provided'],
    ] as const;
    for (const [entry, says] of wrong) {
      const [status, text] = await errorText(api.post(`/deployments/${key}/configuration/`, [entry]));
      expect([status, text.includes(says)]).toEqual([400, true]);
    }
    const ok = await api.post(`/deployments/${key}/configuration/`, [
      { ExtensionKey: ext, DBMapping: [{ DatabaseName: 'ArchiveProdDB', LogicalDatabaseName: 'ArchiveDB' }] },
    ]);
    expect([ok.status, ok.text]).toEqual([200, 'Mapping succeeded and deployment triggered']);
    expect((await api.status(key)).DeploymentStatus).toBe('running');
    expect((await api.pollUntil(key, isTerminal)).DeploymentStatus).toBe('finished_successful');
    expect((await api.get(`/deployments/${key}/getmissingdbmappings/`)).json()).toEqual([]);
    expect(
      (
        await api.post(`/deployments/${key}/configuration/`, [
          { ExtensionKey: ext, DBMapping: [{ DatabaseName: 'ArchiveProdDB', LogicalDatabaseName: 'ArchiveDB' }] },
        ])
      ).status,
    ).toBe(400);
  });
});

describe('outcomes', () => {
  test('success: the target runs the new versions; the log has only Info entries', async () => {
    const key = await api.create([K.hrCore12, K.payrollPortal12]);
    await api.post(`/deployments/${key}/start/`);
    const end = await api.pollUntil(key, isTerminal);
    expect(end.DeploymentStatus).toBe('finished_successful');
    expect(await runningVersion(PROD, K.hrCore)).toBe(K.hrCore12);
    expect(await runningVersion(PROD, K.payrollPortal)).toBe(K.payrollPortal12);
    expect((await api.status(key)).DeploymentLog.map((l) => l.Type)).not.toContain('Warning');
  });

  test.each([
    ['finished_with_warnings', 'Warning', true],
    ['finished_with_errors', 'Error', false],
    ['aborted', 'Error', false],
  ] as const)('%s: log entries of type %s; target updated: %s', async (outcome, type, updated) => {
    sim.setScenario({ outcome });
    const key = await api.create([K.employeeBackoffice10]);
    await api.post(`/deployments/${key}/start/`);
    const end = await api.pollUntil(key, isTerminal);
    expect(end.DeploymentStatus).toBe(outcome);
    const log = (await api.status(key)).DeploymentLog;
    expect(log.some((l) => l.Type === type)).toBe(true);
    if (outcome === 'finished_with_errors') expect(log.some((l) => l.Type === 'Warning')).toBe(false);
    expect((await runningVersion(PROD, K.employeeBackoffice)) === K.employeeBackoffice10).toBe(updated);
    if (outcome === 'aborted') {
      expect(end.seen).toContain('aborting');
      expect((await details(key)).Deployment.AbortedBy).toBe('LifeTime');
    }
  });
});

describe('conflicts', () => {
  test('natural: PayrollPortal 1.2 alone conflicts with Production HRCore 1.0; with HRCore 1.2 it does not', async () => {
    const alone = await api.create([K.payrollPortal12]);
    const [c] = (await details(alone)).ApplicationConflicts;
    expect(c).toMatchObject({
      ProducerApplicationOperation: { ApplicationKey: K.hrCore },
      ConsumerApplicationOperation: { ApplicationKey: K.payrollPortal, DeploymentOperation: 'Deploy 1.2' },
      ModuleConflict: { ConflictType: 'Producer Element Missing', TotalRequiredElements: 3 },
    });
    expect(c!.Message).toMatch(/PayrollPortal.*HRCore.*Production/);
    expect((await details(alone)).ApplicationConflicts).toHaveLength(1);
    expect((await details(await api.create([K.hrCore12, K.payrollPortal12]))).ApplicationConflicts).toEqual([]);
    expect((await details(await api.create([K.payrollPortal12], { target: QA }))).ApplicationConflicts).toEqual([]);
  });

  test('by default start is refused while the plan has conflicts: 400 Exception naming them; ContinueWithErrors=true starts it', async () => {
    const a = await api.create([K.payrollPortal12]);
    const r = await api.post(`/deployments/${a}/start/`);
    expect(r.status).toBe(400);
    const body = r.json<{ Errors: string[]; StatusCode: number }>();
    expect(body.StatusCode).toBe(400);
    expect(body.Errors[0]).toContain(`Command start can't be executed for deployment ${a}`);
    expect(body.Errors[0]).toContain('1 conflict(s)');
    expect(body.Errors[0]).toContain('ContinueWithErrors=true');
    expect(body.Errors.slice(1)).toEqual(
      [(await details(a)).ApplicationConflicts[0]!.Message].map((m) => `Producer Element Missing: ${m}`),
    );
    expect(sim.plan(a)).toMatchObject({ status: 'saved', started: false });
    expect((await api.post(`/deployments/${a}/start/?ContinueWithErrors=false`)).status).toBe(400);
    expect((await api.post(`/deployments/${a}/start/?ContinueWithErrors=True`)).status).toBe(202);
    expect((await api.status(a)).DeploymentStatus).toBe('running');
    expect((await details(a)).ApplicationConflicts).toHaveLength(1);
    expect(sim.plan(a).conflicts).toBe(1);
    const clean = await api.create([K.payrollPortal12], { target: QA }); // Quality runs HRCore 1.2: no conflict
    expect((await api.post(`/deployments/${clean}/start/`)).status).toBe(202);
  });

  test('allowStartWithConflicts: true (opt-in leniency) starts a plan with conflicts without ContinueWithErrors', async () => {
    sim.setScenario({ application: 'PayrollPortal', allowStartWithConflicts: true });
    const a = await api.create([K.payrollPortal12]);
    expect((await details(a)).ApplicationConflicts).toHaveLength(1);
    expect((await api.post(`/deployments/${a}/start/`)).status).toBe(202);
    expect((await api.pollUntil(a, isTerminal)).DeploymentStatus).toBe('finished_successful');
    sim.setScenario({ application: 'PayrollPortal', blockStartOnConflicts: false }); // the older spelling
    expect(sim.scenarios()).toEqual([
      {
        scope: { kind: 'application', key: K.payrollPortal, name: 'PayrollPortal' },
        scenario: { allowStartWithConflicts: true },
      },
    ]);
    const both = await api.admin('POST', '/scenario', { allowStartWithConflicts: true, blockStartOnConflicts: true });
    expect([both.status, both.text.includes('not both')]).toEqual([400, true]);
  });

  test('made-up conflicts: the conflicts preset refuses start like LifeTime; a bare conflicts scenario only shows them unless allowStartWithConflicts is false', async () => {
    sim.applyPreset({ name: 'conflicts', application: 'EmployeeBackoffice' });
    const preset = await api.create([K.employeeBackoffice10]);
    const [status, text] = await errorText(api.post(`/deployments/${preset}/start/`));
    expect([status, text.includes('1 conflict(s)')]).toEqual([400, true]);
    expect((await api.post(`/deployments/${preset}/start/?ContinueWithErrors=true`)).status).toBe(202);
    sim.reset();
    sim.setScenario({ application: 'EmployeeBackoffice', conflicts: 2 });
    const shown = await api.create([K.employeeBackoffice10]);
    expect((await details(shown)).ApplicationConflicts).toHaveLength(2);
    expect((await api.post(`/deployments/${shown}/start/`)).status).toBe(202);
    sim.setScenario({ application: 'EmployeeBackoffice', conflicts: 2, blockStartOnConflicts: true });
    const blocked = await api.create([K.employeeBackoffice10], { target: QA });
    const [s2, t2] = await errorText(api.post(`/deployments/${blocked}/start/`));
    expect([s2, t2.includes('2 conflict(s)')]).toEqual([400, true]);
    sim.setScenario({ application: 'PayrollPortal', conflicts: false });
    const none = await api.create([K.payrollPortal12]);
    expect((await details(none)).ApplicationConflicts).toEqual([]);
    expect((await api.post(`/deployments/${none}/start/`)).status).toBe(202);
  });

  test('scenario: false removes them, a number forces that many (every ConflictType), a list is returned as given', async () => {
    sim.setScenario({ application: 'PayrollPortal', conflicts: false });
    const none = await api.create([K.payrollPortal12]);
    expect((await details(none)).ApplicationConflicts).toEqual([]);
    sim.setScenario({ plan: none, conflicts: 9 });
    const nine = (await details(none)).ApplicationConflicts;
    expect(new Set(nine.map((c) => c.ModuleConflict.ConflictType)).size).toBe(9);
    expect(nine.every((c) => c.Message.length > 20)).toBe(true);
    sim.setScenario({ plan: none, conflicts: true });
    expect((await details(none)).ApplicationConflicts).toHaveLength(1);
    const custom = [{ Message: 'Module X needs Y', ModuleConflict: { ConflictType: 'NameColision' } }];
    sim.setScenario({ plan: none, conflicts: custom });
    expect((await details(none)).ApplicationConflicts).toEqual(custom);
    const eb = await api.create([K.employeeBackoffice10], { target: QA });
    sim.setScenario({ conflicts: true });
    expect((await details(eb)).ApplicationConflicts).toHaveLength(1);
  });

  test('conflicts are frozen when the plan starts; ApplicationsToRedeploy lists consumers; RedeployOutdated adds them', async () => {
    const key = await api.create([K.hrCore12]);
    expect((await details(key)).ApplicationsToRedeploy.sort()).toEqual([K.employeeBackoffice, K.payrollPortal].sort());
    expect((await api.post(`/deployments/${key}/start/?RedeployOutdated=true`)).status).toBe(202);
    sim.setScenario({ conflicts: 2 });
    expect((await details(key)).ApplicationConflicts).toEqual([]);
    expect(sim.plan(key).steps.map((s) => s.id)).toContain('upload:PayrollPortal');
  });
});

describe('parallel deployments', () => {
  test('parallelLimit 1: a second start to the same target → 400 naming the environment and "running"; other targets are free', async () => {
    const one = await startTestSimulator({ parallelLimit: 1 });
    try {
      const a = await one.api.create([K.employeeBackoffice10]);
      const b = await one.api.create([K.hrCore12]);
      const c = await one.api.create([K.hrCore12], { target: QA });
      expect((await one.api.post(`/deployments/${a}/start/`)).status).toBe(202);
      const [status, text] = await errorText(one.api.post(`/deployments/${b}/start/`));
      expect(status).toBe(400);
      expect(text).toMatch(/Production.*running|running.*Production/);
      expect(text).toContain(`Command start can't be executed for deployment ${b}`);
      expect((await one.api.post(`/deployments/${c}/start/`)).status).toBe(202);
      await one.api.pollUntil(a, isTerminal);
      expect((await one.api.post(`/deployments/${b}/start/`)).status).toBe(202);
    } finally {
      await one.sim.close();
    }
  });

  test('default limit 5 per target; a plan with an application another running plan deploys is refused', async () => {
    expect(sim.config().parallelLimit).toBe(5);
    for (let i = 0; i < 4; i++) sim.addPlan({ target: 'Production', status: 'running' });
    const a = await api.create([K.employeeBackoffice10]);
    expect((await api.post(`/deployments/${a}/start/`)).status).toBe(202);
    const b = await api.create([K.hrCore12]);
    const [status, text] = await errorText(api.post(`/deployments/${b}/start/`));
    expect([status, text.includes('5 running deployment(s)'), text.includes('Production')]).toEqual([400, true, true]);
    sim.reset();
    sim.addPlan({ target: PROD, status: 'running', applications: ['EmployeeBackoffice'] });
    const c = await api.create([K.employeeBackoffice10]);
    const [s2, t2] = await errorText(api.post(`/deployments/${c}/start/`));
    expect([
      s2,
      t2.includes("'EmployeeBackoffice' is already in a running deployment to the Production environment"),
    ]).toEqual([400, true]);
    expect((await api.post(`/deployments/${await api.create([K.hrCore12])}/start/`)).status).toBe(202);
  });
});

describe('wall-clock progression', () => {
  test('plans advance with time × speed; durationMs sets the LifeTime duration', async () => {
    const wall = await startTestSimulator({ progression: 'wall', speed: 600 });
    try {
      wall.sim.setScenario({ durationMs: 120_000 });
      const key = await wall.api.create([K.employeeBackoffice10]);
      await wall.api.post(`/deployments/${key}/start/`);
      const total = wall.sim.plan(key).steps.reduce((s, x) => s + x.durationMs, 0);
      expect(total).toBe(120_000);
      expect((await wall.api.status(key)).DeploymentStatus).toBe('running');
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 260));
      expect((await wall.api.status(key)).DeploymentStatus).toBe('finished_successful');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
      const log = wall.sim.plan(key).log;
      const span = Date.parse(log.at(-1)!.instant) - Date.parse(wall.sim.plan(key).startedAt!);
      expect(span).toBeGreaterThan(150);
      expect(span).toBeLessThan(260);
    } finally {
      await wall.sim.close();
    }
  });

  test('speed 1 keeps a plan running (realistic minutes), and interventions wait for a person', async () => {
    const slow = await startTestSimulator({ progression: 'wall', speed: 1 });
    try {
      const key = await slow.api.create([K.employeeBackoffice10]);
      await slow.api.post(`/deployments/${key}/start/`);
      const total = slow.sim.plan(key).steps.reduce((s, x) => s + x.durationMs, 0);
      expect(total).toBeGreaterThan(2 * 60_000);
      expect(total).toBeLessThan(30 * 60_000);
      await new Promise((r) => setTimeout(r, 50));
      expect((await slow.api.status(key)).DeploymentStatus).toBe('running');
      slow.sim.setConfig({ speed: 1_000_000 });
      slow.sim.setScenario({ interventions: [{ info: 'deployment_prepared' }] });
      const waiting = await slow.api.create([K.hrCore12], { target: QA });
      await slow.api.post(`/deployments/${waiting}/start/`);
      await new Promise((r) => setTimeout(r, 30));
      expect((await slow.api.status(waiting)).Info).toBe('deployment_prepared');
      await new Promise((r) => setTimeout(r, 30));
      expect((await slow.api.status(waiting)).Info).toBe('deployment_prepared');
      await slow.api.post(`/deployments/${waiting}/continue/`);
      await new Promise((r) => setTimeout(r, 30));
      expect((await slow.api.status(waiting)).DeploymentStatus).toBe('finished_successful');
    } finally {
      await slow.sim.close();
    }
  });
});
