/**
 * The admin API (`/_sim/…`, no token) and the handle methods that mirror it: request log, reset, plans,
 * foreign plans, scenarios and presets, advance and configuration.
 */
import { DeploymentStatus } from '../../src/lifetime/schemas';
import type { PlanView, SimulatorHandle } from '../../src/simulator';
import { Api, isTerminal, K, PROD, QA, useTestSimulator } from './helpers';

let sim: SimulatorHandle;
let api: Api;
useTestSimulator((started) => ({ sim, api } = started));

describe('request log', () => {
  test('GET /_sim/requests lists LifeTime requests (not admin ones); DELETE and clearRequests() empty it', async () => {
    await api.get('/applications/?IncludeEnvStatus=True');
    await api.admin('GET', '/plans');
    const key = await api.create([K.employeeBackoffice10]);
    const log = (await api.admin('GET', '/requests')).json<
      {
        method: string;
        path: string;
        query: object;
        status: number;
        responseBytes: number;
        at: string;
        route: string;
      }[]
    >();
    expect(log).toEqual([
      {
        method: 'GET',
        path: '/lifetimeapi/rest/v2/applications/',
        query: { IncludeEnvStatus: 'True' },
        status: 200,
        responseBytes: expect.any(Number),
        at: expect.any(String),
        route: '/applications/',
      },
      {
        method: 'POST',
        path: '/lifetimeapi/rest/v2/deployments/',
        query: {},
        status: 201,
        responseBytes: key.length,
        at: expect.any(String),
        route: '/deployments/',
      },
    ]);
    expect(log[0]!.responseBytes).toBeGreaterThan(1000);
    expect(Date.parse(log[0]!.at)).toBeLessThanOrEqual(Date.now());
    expect(sim.requests()).toEqual(log);
    expect((await api.admin('DELETE', '/requests')).status).toBe(204);
    expect(sim.requests()).toEqual([]);
    await api.get(`/deployments/${key}/status/`);
    sim.clearRequests();
    expect((await api.admin('GET', '/requests')).json()).toEqual([]);
  });
});

describe('reset', () => {
  test('POST /_sim/reset restores the data and configuration and clears plans, scenarios, faults and the log', async () => {
    await api.post(`/environments/${K.development}/applications/${K.hrCore}/versions/`, { Version: '9.0' });
    const key = await api.create([K.employeeBackoffice10]);
    sim.setScenario({ outcome: 'finished_with_errors' });
    sim.setFaults({ latencyMs: 1 });
    sim.setConfig({ parallelLimit: 1, speed: 5 });
    expect((await api.admin('POST', '/reset')).status).toBe(204);
    expect(sim.plans()).toEqual([]);
    expect(sim.scenarios()).toEqual([]);
    expect(sim.faults()).toBeUndefined();
    expect(sim.requests()).toEqual([]);
    expect(sim.config()).toEqual({ speed: 1, progression: 'per-poll', parallelLimit: 5 });
    const versions = (await api.get(`/applications/${K.hrCore}/versions/`)).json<{ Version: string }[]>();
    expect(versions.map((v) => v.Version)).not.toContain('9.0');
    expect(await api.create([K.employeeBackoffice10])).toBe(key);
  });
});

describe('plans', () => {
  test('GET /_sim/plans and /_sim/plans/{key}: the PlanView; 404 for unknown keys', async () => {
    const key = await api.create([K.employeeBackoffice10], { notes: 'admin view' });
    await api.post(`/deployments/${key}/start/`);
    await api.status(key);
    const [view] = (await api.admin('GET', '/plans')).json<PlanView[]>();
    expect(view).toMatchObject({
      key,
      notes: 'admin view',
      sourceEnvironmentName: 'Development',
      targetEnvironmentKey: PROD,
      targetEnvironmentName: 'Production',
      status: 'running',
      started: true,
      foreign: false,
      applications: [
        { applicationName: 'EmployeeBackoffice', versionKey: K.employeeBackoffice10, versionLabel: '1.0', zoneKey: '' },
      ],
      applicationVersionKeys: [K.employeeBackoffice10],
      step: { index: 1, id: 'upload:EmployeeBackoffice' },
    });
    expect(view!.log).toEqual([
      { instant: expect.any(String), message: 'Uploading modules from Development to Production', type: 'Info' },
      { instant: expect.any(String), message: "Uploading 'EmployeeBackoffice' from Development", type: 'Info' },
    ]);
    expect((await api.admin('GET', `/plans/${key}`)).json()).toEqual(view);
    expect((await api.admin('GET', '/plans/nope')).status).toBe(404);
    expect(() => sim.plan('nope')).toThrow(/not found/);
  });

  test('POST /_sim/plans injects foreign plans in any status; they show in the LifeTime API', async () => {
    // Every status LifeTime documents but the one only a person sets in LifeTime's UI.
    const statuses = DeploymentStatus.exclude(['force_finished']).options;
    expect(statuses).toHaveLength(8);
    for (const status of statuses) {
      const r = await api.admin('POST', '/plans', {
        target: 'Production',
        status,
        applications: ['HRCore'],
        info: 'business_process_impact',
      });
      expect(r.status).toBe(201);
      const view = r.json<PlanView>();
      expect([view.status, view.foreign]).toEqual([status, true]);
      const s = await api.status(view.key);
      expect(s.DeploymentStatus).toBe(status);
      if (status === 'needs_user_intervention') expect(s.Info).toBe('business_process_impact');
    }
    expect((await api.get('/deployments/')).json<unknown[]>()).toHaveLength(statuses.length);
    expect(
      sim
        .data()
        .applications.find((a) => a.key === K.hrCore)!
        .environments.find((e) => e.environment === PROD)!.version,
    ).toBe(K.hrCore12);
    expect((await api.admin('POST', '/plans', { target: 'Nowhere' })).status).toBe(400);
    expect(
      (
        await api.admin('POST', '/plans', {
          target: 'Production',
          applications: ['DocumentArchive'],
          source: 'Production',
        })
      ).status,
    ).toBe(400);
  });

  test('a held foreign plan stays running; releaseAfterRefusedStarts finishes it after that many refusals', async () => {
    sim.setConfig({ parallelLimit: 1 });
    const foreign = sim.addPlan({ target: PROD, status: 'running', releaseAfterRefusedStarts: 2 });
    expect(foreign.held).toBe(true);
    for (let i = 0; i < 5; i++) await api.status(foreign.key);
    expect(sim.plan(foreign.key).status).toBe('running');
    const key = await api.create([K.employeeBackoffice10]);
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(400);
    expect(sim.plan(foreign.key).status).toBe('running');
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(400);
    expect(sim.plan(foreign.key).status).toBe('finished_successful');
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(202);
  });

  test('a foreign plan with durationMs progresses by itself in wall-clock mode', async () => {
    sim.setConfig({ progression: 'wall', speed: 1000 });
    const foreign = sim.addPlan({ target: QA, status: 'running', durationMs: 60_000 });
    expect(foreign.held).toBe(false);
    await new Promise((r) => setTimeout(r, 120));
    expect(sim.plan(foreign.key).status).toBe('finished_successful');
  });
});

describe('scenarios and presets', () => {
  test('scope by application name, application key or plan key; later layers win, interventions add up', async () => {
    sim.setScenario({ outcome: 'finished_with_warnings', interventions: [{ info: 'business_process_impact' }] });
    sim.setScenario({ application: 'employeebackoffice', outcome: 'finished_with_errors' });
    const a = await api.create([K.employeeBackoffice10]);
    const b = await api.create([K.hrCore12], { target: QA });
    sim.setScenario({ plan: b, outcome: 'finished_successful', interventions: [{ info: 'deployment_prepared' }] });
    expect((await api.admin('GET', '/scenario')).json<unknown[]>()).toHaveLength(3);
    for (const key of [a, b]) {
      await api.post(`/deployments/${key}/start/`);
      for (let i = 0; i < 100; i++) {
        const s = await api.status(key);
        if (isTerminal(s)) break;
        if (s.DeploymentStatus === 'needs_user_intervention') await api.post(`/deployments/${key}/continue/`);
      }
    }
    expect(sim.plan(a).status).toBe('finished_with_errors');
    expect(sim.plan(b).status).toBe('finished_successful');
    expect(sim.plan(b).log.filter((l) => l.message.startsWith('Deployment continued')).length).toBe(2);
    sim.setScenario({ application: K.employeeBackoffice, outcome: 'aborted' });
    expect(sim.scenarios().filter((s) => s.scope.kind === 'application')).toHaveLength(1);
    expect((await api.admin('DELETE', '/scenario')).status).toBe(204);
    expect(sim.scenarios()).toEqual([]);
  });

  test('invalid scenarios: 400 naming the field or listing the known applications', async () => {
    const unknown = await api.admin('POST', '/scenario', { application: 'Nope', conflicts: true });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('HRCore');
    expect((await api.admin('POST', '/scenario', { application: 'HRCore', plan: 'x' })).status).toBe(400);
    const bad = await api.admin('POST', '/scenario', { outcome: 'exploded', interventions: [{ info: 'coffee' }] });
    expect(bad.text).toContain('outcome');
    expect(bad.text).toContain('interventions[0].info');
    expect((await api.admin('POST', '/scenario', '{')).status).toBe(400);
    expect(() => sim.setScenario({ durationMs: -1 })).toThrow(/durationMs/);
  });

  test('presets: conflicts, needs-intervention, warnings / errors / aborted, busy-target, lost-create-response', async () => {
    const p = (body: object) =>
      api.admin('POST', '/preset', body).then((r) => r.json<{ preset: string; plans?: PlanView[] }>());
    await p({ name: 'conflicts', application: 'EmployeeBackoffice' });
    const c = await api.create([K.employeeBackoffice10]);
    expect(
      (await api.get(`/deployments/${c}/`)).json<{ ApplicationConflicts: unknown[] }>().ApplicationConflicts,
    ).toHaveLength(1);
    await p({ name: 'needs-intervention', plan: c, info: 'deployment_suspended' });
    expect((await api.post(`/deployments/${c}/start/`)).status).toBe(400); // the preset's conflicts refuse start
    expect((await api.post(`/deployments/${c}/start/?ContinueWithErrors=true`)).status).toBe(202);
    expect((await api.pollUntil(c, (s) => s.DeploymentStatus === 'needs_user_intervention')).Info).toBe(
      'deployment_suspended',
    );
    for (const [name, outcome] of [
      ['warnings', 'finished_with_warnings'],
      ['errors', 'finished_with_errors'],
      ['aborted', 'aborted'],
    ] as const) {
      sim.reset();
      await p({ name });
      const key = await api.create([K.hrCore12], { target: QA });
      await api.post(`/deployments/${key}/start/`);
      expect((await api.pollUntil(key, isTerminal)).DeploymentStatus).toBe(outcome);
    }
    sim.reset();
    const busy = await p({ name: 'busy-target', releaseAfterRefusedStarts: 1 });
    expect(busy.plans!.map((x) => [x.targetEnvironmentName, x.status])).toEqual(
      Array(5).fill(['Production', 'running']),
    );
    const key = await api.create([K.employeeBackoffice10]);
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(400);
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(202);
    sim.reset();
    await p({ name: 'lost-create-response' });
    await expect(api.create([K.employeeBackoffice10])).rejects.toThrow();
    expect(sim.plans()).toHaveLength(1);
    expect((await api.admin('POST', '/preset', { name: 'unknown' })).status).toBe(400);
  });
});

describe('advance and config', () => {
  test('POST /_sim/advance moves one plan or every active plan; waiting plans stay waiting', async () => {
    sim.setScenario({ plan: K.firstDeployment, interventions: [{ info: 'deployment_prepared', atPhase: 3 }] });
    const a = await api.create([K.employeeBackoffice10]);
    const b = await api.create([K.hrCore12], { target: QA });
    await api.post(`/deployments/${a}/start/`);
    await api.post(`/deployments/${b}/start/`);
    const moved = (await api.admin('POST', '/advance', { key: b, phases: 3 })).json<PlanView[]>();
    expect(moved.map((v) => [v.key, v.step!.index])).toEqual([[b, 3]]);
    const all = sim.advance({ phases: 5 });
    expect(all.map((v) => v.key).sort()).toEqual([a, b].sort());
    expect(sim.plan(a)).toMatchObject({
      status: 'needs_user_intervention',
      info: 'deployment_prepared',
      step: { index: 2 },
    });
    expect(sim.plan(b).step!.index).toBe(8);
    sim.advance({ key: b, phases: 1000 });
    expect(sim.plan(b).status).toBe('finished_successful');
    expect((await api.admin('POST', '/advance', { key: 'nope' })).status).toBe(404);
    expect((await api.admin('POST', '/advance', { phases: 0 })).status).toBe(400);
  });

  test('POST /_sim/config: parallel limit, speed and progression (switching to wall-clock moves plans with time)', async () => {
    expect((await api.admin('GET', '/config')).json()).toEqual({ speed: 1, progression: 'per-poll', parallelLimit: 5 });
    const key = await api.create([K.employeeBackoffice10]);
    await api.post(`/deployments/${key}/start/`);
    await new Promise((r) => setTimeout(r, 30));
    expect(sim.plan(key).step!.index).toBe(0);
    const cfg = await api.admin('POST', '/config', { progression: 'wall', speed: 100_000, parallelLimit: 2 });
    expect(cfg.json()).toEqual({ speed: 100_000, progression: 'wall', parallelLimit: 2 });
    await new Promise((r) => setTimeout(r, 50));
    expect((await api.status(key)).DeploymentStatus).toBe('finished_successful');
    expect((await api.admin('POST', '/config', { speed: 0 })).status).toBe(400);
    expect((await api.admin('POST', '/config', { progression: 'sometimes' })).text).toContain('progression');
  });

  test('GET /_sim/data shows what runs where; unknown admin routes are 404', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    await api.post(`/deployments/${key}/start/`);
    sim.advance({ key, phases: 100 });
    const data = (await api.admin('GET', '/data')).json<{
      applications: { key: string; environments: { environment: string; version: string }[] }[];
    }>();
    const eb = data.applications.find((a) => a.key === K.employeeBackoffice)!;
    expect(eb.environments.find((e) => e.environment === PROD)!.version).toBe(K.employeeBackoffice10);
    expect((await api.admin('GET', '/nothing')).status).toBe(404);
  });
});
