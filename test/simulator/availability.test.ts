/**
 * Maintenance mode and offline targets (LifeTime refuses `start` and `continue`, reference §5.1 / §7.6) and plans
 * with "Tag & Deploy" applications (every command refused through the API): over HTTP, LifeTime's 400 with its
 * Exception body, the admin API and E17 `PUT /environments/{key}/maintenancemode`.
 */
import { ExceptionBody } from '../../src/lifetime/schemas';
import type { SimulatorHandle } from '../../src/simulator';
import { Api, K, PROD, useTestSimulator } from './helpers';

let sim: SimulatorHandle;
let api: Api;
useTestSimulator((started) => ({ sim, api } = started));

const errors = (text: string): string[] => ExceptionBody.parse(JSON.parse(text)).Errors ?? [];

describe('maintenance mode', () => {
  test('admin API on → start refused (400, Exception body naming maintenance mode and the reason); off → start accepted', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    const on = await api.admin('POST', '/environments/Production/maintenance', {
      on: true,
      reason: 'Monthly patching',
    });
    expect(on.status).toBe(200);
    expect(on.json()).toEqual({
      key: PROD,
      name: 'Production',
      maintenance: true,
      maintenanceReason: 'Monthly patching',
      offline: false,
    });
    const refused = await api.post(`/deployments/${key}/start/`);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toMatchObject({ StatusCode: 400 });
    expect(errors(refused.text)).toEqual([
      `Command start can't be executed for deployment ${key}. The Production environment is in maintenance mode (Monthly patching).`,
    ]);
    expect((await api.status(key)).DeploymentStatus).toBe('saved');

    expect((await api.admin('POST', `/environments/${PROD}/maintenance`, { on: false })).status).toBe(200);
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(202);
  });

  test("E17 PUT /environments/{key}/maintenancemode switches it (LifeTime's own endpoint); a bad body is 400", async () => {
    const key = await api.create([K.employeeBackoffice10]);
    const put = await api.put(`/environments/${PROD}/maintenancemode`, {
      IsMaintenanceModeEnabled: true,
      Reason: 'DB upgrade',
    });
    expect(put.status).toBe(200);
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(400);
    expect((await api.put(`/environments/${PROD}/maintenancemode`, { Reason: 'x' })).status).toBe(400);
    expect(
      (await api.put(`/environments/no-such-env/maintenancemode`, { IsMaintenanceModeEnabled: false })).status,
    ).toBe(404);
    await api.put(`/environments/${PROD}/maintenancemode`, { IsMaintenanceModeEnabled: false, Reason: '' });
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(202);
  });

  test('continue at an intervention is refused while on, accepted after', async () => {
    sim.setScenario({ application: 'EmployeeBackoffice', interventions: [{ info: 'deployment_prepared' }] });
    const key = await api.create([K.employeeBackoffice10]);
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(202);
    await api.pollUntil(key, (s) => s.DeploymentStatus === 'needs_user_intervention');
    sim.setMaintenance('Production', { on: true });
    const refused = await api.post(`/deployments/${key}/continue/`);
    expect(refused.status).toBe(400);
    expect(errors(refused.text)[0]).toBe(
      `Command continue can't be executed for deployment ${key}. The Production environment is in maintenance mode.`,
    );
    sim.setMaintenance('Production', { on: false });
    expect((await api.post(`/deployments/${key}/continue/`)).status).toBe(202);
  });

  test('offline: IsOffline in the environment, start refused; the admin route validates its body', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    expect((await api.admin('POST', '/environments/Production/offline', { on: true })).status).toBe(200);
    expect((await api.get(`/environments/${PROD}/`)).json()).toMatchObject({ IsOffline: true });
    const refused = await api.post(`/deployments/${key}/start/`);
    expect(refused.status).toBe(400);
    expect(errors(refused.text)[0]).toMatch(/The Production environment is offline\.$/);
    expect((await api.admin('POST', '/environments/Production/offline', { on: 'yes' })).status).toBe(400);
    expect((await api.admin('POST', '/environments/Nowhere/maintenance', { on: true })).status).toBe(404);
  });
});

describe('Tag & Deploy plans (not startable through the API)', () => {
  test('a saved plan built with startableByApi: false refuses start with 400 and stays saved; it can be deleted', async () => {
    const plan = sim.addPlan({
      target: 'Production',
      applications: ['EmployeeBackoffice'],
      status: 'saved',
      notes: 'Built in LifeTime',
      startableByApi: false,
    });
    expect(plan).toMatchObject({ status: 'saved', startableByApi: false, foreign: true });
    const refused = await api.post(`/deployments/${plan.key}/start/`);
    expect(refused.status).toBe(400);
    expect(errors(refused.text)[0]).toMatch(/^Command start can't be executed for deployment .*Tag & Deploy/);
    expect(sim.plan(plan.key).status).toBe('saved');
    expect((await api.del(`/deployments/${plan.key}/`)).status).toBe(204);
  });
});
