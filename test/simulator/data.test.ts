/**
 * The data set (seed content and the SimData format), the realistic profile, options validation and the
 * programmatic state file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSimData, queuedFirst, realisticProfile, SEED_INPUT, seedData, startSimulator } from '../../src/simulator';
import { Api, DEV, K, PROD, QA, startTestSimulator, useTempDir } from './helpers';

let dir: string;
useTempDir('lt-sim-data-', (created) => (dir = created));

describe('seed data', () => {
  test('the documented seed keys, three environments, producers and consumers, a modified and a blocked app', () => {
    const d = seedData();
    expect(d.environments.map((e) => [e.name, e.key])).toEqual([
      ['Development', 'f3582e43-43c7-4bb4-8cbb-d9f6cbcbd35e'],
      ['Quality', QA],
      ['Production', '849515f2-b4ff-4aca-a9d6-9407bea655f4'],
    ]);
    const eb = d.applications.find((a) => a.name === 'EmployeeBackoffice')!;
    expect(eb.key).toBe('c9a7a82e-0eee-4a3d-8e22-2a19c69c766f');
    expect(eb.environments.find((s) => s.environment === DEV)!.version).toBe('b3d2ef6b-e5c5-4c7e-851e-0547f7bd634c');
    expect(eb.versions.find((v) => v.key === K.employeeBackoffice10)!.version).toBe('1.0');
    expect(d.firstDeploymentKey).toBe('dce64ad4-2ddf-4e54-a639-3524bcd5b9a1');
    const consumers = d.applications.filter((a) =>
      a.versions.some((v) => v.requires.some((r) => r.application === K.hrCore)),
    );
    expect(consumers.map((a) => a.name).sort()).toEqual(['EmployeeBackoffice', 'PayrollPortal']);
    expect(
      d.applications.find((a) => a.key === K.expenseTracker)!.environments.find((s) => s.environment === DEV)!
        .isModified,
    ).toBe(true);
    expect(d.applications.find((a) => a.key === K.legacyIntranet)!.blockedIn.map((b) => b.environment)).toEqual([PROD]);
    expect(d.environments.every((e) => e.zones.filter((z) => z.isDefault).length === 1)).toBe(true);
    for (const a of d.applications) expect(a.versions.length).toBeGreaterThanOrEqual(2);
  });

  test('seedData() returns a fresh copy each time', () => {
    const a = seedData();
    a.environments.pop();
    expect(seedData().environments).toHaveLength(3);
  });
});

describe('SimData format', () => {
  test.each([
    ['a missing name', { environments: [{ key: 'e' }], applications: [] }, 'environments[0].name'],
    ['an unknown field', { environments: [], applications: [], extra: 1 }, 'extra'],
    [
      'a duplicate environment',
      {
        environments: [
          { key: 'e', name: 'A' },
          { key: 'e', name: 'B' },
        ],
        applications: [],
      },
      'duplicate environment key e',
    ],
    [
      'a running version that does not exist',
      {
        environments: [{ key: 'e', name: 'A' }],
        applications: [
          {
            key: 'a',
            name: 'App',
            modules: [{ key: 'm', name: 'M' }],
            versions: [],
            environments: [{ environment: 'e', version: 'v' }],
          },
        ],
      },
      'applications[0].environments[0].version',
    ],
    [
      'a running app in a zone its environment does not have',
      {
        environments: [{ key: 'e', name: 'A', zones: [{ key: 'z1', name: 'Global', isDefault: true }] }],
        applications: [
          {
            key: 'a',
            name: 'App',
            modules: [{ key: 'm', name: 'M' }],
            versions: [{ key: 'v', version: '1', createdOn: '2025-01-01T00:00:00Z' }],
            environments: [{ environment: 'e', version: 'v', zone: 'z2' }],
          },
        ],
      },
      'applications[0].environments[0].zone: unknown deployment zone z2 of environment e',
    ],
    [
      'an unknown producer',
      {
        environments: [],
        applications: [
          {
            key: 'a',
            name: 'App',
            modules: [{ key: 'm', name: 'M' }],
            versions: [
              {
                key: 'v',
                version: '1',
                createdOn: '2025-01-01T00:00:00Z',
                requires: [{ application: 'zz', minVersion: '1' }],
              },
            ],
          },
        ],
      },
      'unknown producer zz',
    ],
    [
      'an unknown environment',
      {
        environments: [],
        applications: [
          { key: 'a', name: 'A', modules: [{ key: 'm', name: 'M' }], versions: [], blockedIn: [{ environment: 'x' }] },
        ],
      },
      'blockedIn[0].environment',
    ],
  ])('rejects %s, naming the path', (_name, raw, mention) => {
    expect(() => parseSimData(raw)).toThrow(mention);
  });

  test('the seed input is valid and defaults are filled in', () => {
    const d = parseSimData({ environments: [{ key: 'e', name: 'Solo' }], applications: [] });
    expect(d.environments[0]).toMatchObject({
      type: 'Development',
      zones: [],
      twoStepDeployment: false,
      dbMappings: [],
    });
    expect(parseSimData(SEED_INPUT).applications).toHaveLength(6);
  });

  test('a data file (dataFile option) replaces the seed; an environment without zones gets a default Global zone, where its apps run', async () => {
    const file = join(dir, 'data.json');
    writeFileSync(
      file,
      JSON.stringify({
        firstDeploymentKey: '11111111-1111-4111-8111-111111111111',
        environments: [
          { key: 'dev', name: 'Dev' },
          { key: 'prd', name: 'Prd', type: 'Production' },
        ],
        applications: [
          {
            key: 'app',
            name: 'App',
            modules: [{ key: 'm', name: 'App_Core' }],
            versions: [{ key: 'v1', version: '1.0', createdOn: '2025-01-01T00:00:00Z' }],
            environments: [{ environment: 'dev', version: 'v1' }],
          },
        ],
      }),
    );
    const sim = await startSimulator({ port: 0, dataFile: file, progression: 'per-poll' });
    const api = new Api(sim);
    try {
      expect((await api.get('/environments/prd/deploymentzones/')).json()).toEqual([
        {
          Key: expect.any(String),
          Name: 'Global',
          IsDefault: true,
          DeploymentTechnology: { Key: expect.any(String), Name: 'Classic' },
        },
      ]);
      // the apps run in that zone: DeploymentZoneKey is its key, never ""
      const zoneIn = async (env: string): Promise<[string, string]> => [
        (await api.get(`/environments/${env}/deploymentzones/`)).json<{ Key: string }[]>()[0]!.Key,
        (await api.get(`/environments/${env}/applications/app/?IncludeEnvStatus=true`)).json<{
          AppStatusInEnvs: { DeploymentZoneKey: string }[];
        }>().AppStatusInEnvs[0]!.DeploymentZoneKey,
      ];
      const [devZone, appZone] = await zoneIn('dev');
      expect(appZone).toBe(devZone);
      expect(sim.data().applications[0]!.environments[0]!.zone).toBe(devZone);
      const key = await api.create(['v1'], { source: 'dev', target: 'prd' });
      expect(key).toBe('11111111-1111-4111-8111-111111111111');
      await api.post(`/deployments/${key}/start/`);
      await api.pollUntil(key, (s) => s.DeploymentStatus === 'finished_successful');
      expect((await api.get('/environments/prd/applications/')).json<{ Name: string }[]>().map((a) => a.Name)).toEqual([
        'App',
      ]);
      const [prdZone, deployedZone] = await zoneIn('prd');
      expect([deployedZone, deployedZone === devZone]).toEqual([prdZone, false]);
    } finally {
      await sim.close();
    }
    await expect(startSimulator({ port: 0, dataFile: join(dir, 'missing.json') })).rejects.toThrow(/missing\.json/);
    await expect(startSimulator({ port: 0, dataFile: file, data: SEED_INPUT })).rejects.toThrow(/not both/);
  });

  test('invalid options are refused with the option named', async () => {
    await expect(startSimulator({ port: -1 })).rejects.toThrow(/port/);
    await expect(startSimulator({ speed: 0 })).rejects.toThrow(/speed/);
    await expect(startSimulator({ progression: 'never' as 'wall' })).rejects.toThrow(/progression/);
  });
});

describe('realistic profile', () => {
  const app = (name: string, modules: number) => ({
    name,
    modules: Array.from({ length: modules }, (_, i) => ({ name: `${name}_${i}` })),
  });
  const total = (apps: ReturnType<typeof app>[]) =>
    realisticProfile({ source: 'Development', target: 'Production', applications: apps }).totalMs;

  test('deterministic, between 2 and 30 minutes, growing with applications and modules', () => {
    const one = total([app('A', 2)]);
    expect(total([app('A', 2)])).toBe(one);
    expect(one).toBeGreaterThanOrEqual(2 * 60_000);
    expect(one).toBeLessThan(6 * 60_000);
    expect(total([app('A', 2), app('B', 3)])).toBeGreaterThan(one);
    const big = total(Array.from({ length: 10 }, (_, i) => app(`App${i}`, 3)));
    expect(big).toBeGreaterThan(15 * 60_000);
    expect(big).toBeLessThanOrEqual(30 * 60_000);
    expect(total(Array.from({ length: 40 }, (_, i) => app(`App${i}`, 5)))).toBe(30 * 60_000);
  });

  test('steps: running from the first (LifeTime runs a plan before it answers start), the §5.4 messages in order, the point of no return after "Deploying modules of"', () => {
    const p = realisticProfile({ source: 'Development', target: 'Production', applications: [app('A', 1)] });
    expect(p.steps[0]).toMatchObject({ id: 'upload', status: 'running' });
    expect(p.steps.filter((s) => s.status === 'saved')).toEqual([]);
    expect(p.steps.at(-1)).toMatchObject({ id: 'completed', status: 'finished_successful', durationMs: 0 });
    expect(p.steps[p.compileIndex]!.messages[0]!.message).toBe("Deploying modules of 'Development_to_Production'.");
    expect(p.pointOfNoReturn).toBe(p.compileIndex + 1);
    expect(p.steps.flatMap((s) => s.messages.map((m) => m.type))).toEqual(expect.arrayContaining(['Info']));
  });

  test('queuedFirst (the savedAfterStart scenario): one saved step before the rest, indices shifted', () => {
    const p = realisticProfile({ source: 'Development', target: 'Production', applications: [app('A', 2)] });
    const q = queuedFirst(p);
    expect(q.steps[0]).toMatchObject({ id: 'queued', status: 'saved', messages: [] });
    expect(q.steps.slice(1)).toEqual(p.steps);
    expect([q.compileIndex, q.pointOfNoReturn]).toEqual([p.compileIndex + 1, p.pointOfNoReturn + 1]);
    expect(q.totalMs).toBe(p.totalMs + q.steps[0]!.durationMs);
  });
});

describe('state file (programmatic)', () => {
  test('written on change, loaded at start; a corrupt file is a clear error', async () => {
    const stateFile = join(dir, 'state.json');
    const a = await startTestSimulator({ stateFile });
    const key = await a.api.create([K.hrCore12], { target: QA });
    a.sim.setScenario({ plan: key, outcome: 'finished_with_warnings' });
    await a.sim.close();
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { plans: { key: string }[]; firstKeyUsed: boolean };
    expect(saved.plans.map((p) => p.key)).toEqual([key]);
    expect(saved.firstKeyUsed).toBe(true);
    const b = await startTestSimulator({ stateFile });
    try {
      expect(b.sim.plans().map((p) => [p.key, p.status])).toEqual([[key, 'saved']]);
      expect(b.sim.scenarios()).toHaveLength(1);
      await b.api.post(`/deployments/${key}/start/`);
      expect((await b.api.pollUntil(key, (s) => s.DeploymentStatus.startsWith('finished'))).DeploymentStatus).toBe(
        'finished_with_warnings',
      );
    } finally {
      await b.sim.close();
    }
    writeFileSync(stateFile, '{"version":1,"plans":"none"}');
    await expect(startSimulator({ port: 0, stateFile })).rejects.toThrow(/state file .*plans/);
  });
});
