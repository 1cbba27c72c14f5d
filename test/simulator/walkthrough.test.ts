/**
 * The seed walkthrough, as a LifeTime client would do it: environments → applications → create (201,
 * plain-text key dce64ad4…) → details (no conflicts) → start (202) → status polled until
 * finished_successful with a growing log — once per progression mode.
 */
import type { SimulatorHandle } from '../../src/simulator';
import { Api, DEV, K, PROD, startTestSimulator } from './helpers';

const EXPECTED_ORDER = [
  'Uploading modules from Development to Production',
  "Uploading 'EmployeeBackoffice' from Development",
  'Applying Deployment Zones configurations in Production Environment',
  'Creating solution pack in Production',
  "Deploying modules of 'Development_to_Production'.",
  "Deploying module 'EmployeeBackoffice'.",
  "Synchronizing data with 'Production' environment.",
  "Updating application versions for 'Production' environment.",
  'Deploy completed',
];

async function walkthrough(api: Api, sim: SimulatorHandle): Promise<void> {
  const envs = (await api.get('/environments/')).json<{ Key: string; Name: string }[]>();
  const source = envs.find((e) => e.Name === 'Development')!.Key;
  const target = envs.find((e) => e.Name === 'Production')!.Key;
  expect([source, target]).toEqual([DEV, PROD]);

  const apps = (await api.get('/applications/?IncludeEnvStatus=true')).json<
    {
      Key: string;
      Name: string;
      AppStatusInEnvs: {
        EnvironmentKey: string;
        BaseApplicationVersionKey: string;
        BaseApplicationVersionLabel: string;
      }[];
    }[]
  >();
  const eb = apps.find((a) => a.Name === 'EmployeeBackoffice')!;
  expect(eb.Key).toBe(K.employeeBackoffice);
  const inDev = eb.AppStatusInEnvs.find((s) => s.EnvironmentKey === source)!;
  expect(inDev).toMatchObject({
    BaseApplicationVersionKey: 'b3d2ef6b-e5c5-4c7e-851e-0547f7bd634c',
    BaseApplicationVersionLabel: '1.0',
  });

  const created = await api.post('/deployments/', {
    Notes: 'Go live EmployeeBackoffice 1.0',
    SourceEnvironmentKey: source,
    TargetEnvironmentKey: target,
    ApplicationOperations: [{ ApplicationVersionKey: inDev.BaseApplicationVersionKey, DeploymentZoneKey: '' }],
  });
  expect(created.status).toBe(201);
  expect(created.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(created.text).toBe('dce64ad4-2ddf-4e54-a639-3524bcd5b9a1');
  const key = created.text;

  const details = (await api.get(`/deployments/${key}/`)).json<{
    Deployment: { Key: string; StartedOn: string; ApplicationOperations: { DeploymentOperation: string }[] };
    ApplicationConflicts: unknown[];
  }>();
  expect(details.ApplicationConflicts).toEqual([]);
  expect(details.Deployment).toMatchObject({ Key: key, StartedOn: '1900-01-01T00:00:00' });
  expect(details.Deployment.ApplicationOperations[0]!.DeploymentOperation).toBe('Deploy 1.0');
  expect((await api.status(key)).DeploymentStatus).toBe('saved');

  const start = await api.post(`/deployments/${key}/start/`);
  expect(start.status).toBe(202);
  expect(start.text).toBe('');

  const lengths: number[] = [];
  const statuses: string[] = [];
  let last = await api.status(key);
  for (let i = 0; i < 2000 && last.DeploymentStatus !== 'finished_successful'; i++) {
    expect(['running', 'finished_successful']).toContain(last.DeploymentStatus); // never saved after a 202 start
    lengths.push(last.DeploymentLog.length);
    statuses.push(last.DeploymentStatus);
    if (sim.config().progression === 'wall') await new Promise((r) => setTimeout(r, 20));
    last = await api.status(key);
  }
  expect(last.DeploymentStatus).toBe('finished_successful');
  expect(last.Info).toBe('');
  // the log only grows, and is in the documented order
  const all = [...lengths, last.DeploymentLog.length];
  expect(all.every((n, i) => i === 0 || n >= all[i - 1]!)).toBe(true);
  expect(new Set(all).size).toBeGreaterThan(2);
  const messages = last.DeploymentLog.map((l) => l.Message);
  const positions = EXPECTED_ORDER.map((m) => messages.indexOf(m));
  expect(positions.every((p) => p >= 0)).toBe(true);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  expect(last.DeploymentLog.every((l) => l.Type === 'Info')).toBe(true);
  expect(statuses).toContain('running');
  // LifeTime moves the plan to running before it answers 202: the first status after start says so
  expect(statuses[0]).toBe('running');

  // the target now runs the deployed version
  const prod = (
    await api.get(`/environments/${PROD}/applications/${K.employeeBackoffice}/?IncludeEnvStatus=true`)
  ).json<{
    AppStatusInEnvs: { BaseApplicationVersionKey: string }[];
  }>();
  expect(prod.AppStatusInEnvs[0]!.BaseApplicationVersionKey).toBe(K.employeeBackoffice10);
}

describe('seed walkthrough', () => {
  test('per-poll progression: one step per status poll; the first poll after start says running', async () => {
    const { sim, api } = await startTestSimulator({ progression: 'per-poll' });
    try {
      await walkthrough(api, sim);
      const polls = sim.requests().filter((r) => r.route === '/deployments/{DeploymentKey}/status/');
      const plan = sim.plan(K.firstDeployment);
      // saved before start, then one poll per step
      expect(polls).toHaveLength(1 + plan.steps.length);
      expect(plan.log.length).toBeGreaterThan(10);
      expect(sim.requests().filter((r) => r.method === 'POST' && r.route === '/deployments/')).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });

  test('wall-clock progression at a high speed', async () => {
    const { sim, api } = await startTestSimulator({ progression: 'wall', speed: 600 });
    try {
      await walkthrough(api, sim);
    } finally {
      await sim.close();
    }
  });
});
