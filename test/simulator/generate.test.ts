/**
 * Large infrastructures: the data-set generator (`generateApplications`, `startSimulator({ generateApps })`) and
 * the request log's response sizes, on a factory of 1,000 synthetic applications over real HTTP.
 */
import { generateApplications, parseSimData, seedData, type SimulatorHandle } from '../../src/simulator';
import { Api, DEV, isTerminal, PROD, startTestSimulator } from './helpers';

describe('generateApplications', () => {
  const seed = seedData();
  const big = generateApplications(seed, 300);
  const generated = big.applications.slice(seed.applications.length);

  test('adds N applications to the data set (the seed is kept, the input is not changed) and the result is valid', () => {
    expect(big.applications).toHaveLength(seed.applications.length + 300);
    expect(big.applications.slice(0, seed.applications.length)).toEqual(seed.applications);
    expect(seedData().applications).toHaveLength(seed.applications.length);
    expect(seed.applications).toHaveLength(6);
    expect(() => parseSimData(big)).not.toThrow();
    const names = big.applications.map((a) => a.name.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
    const keys = big.applications.flatMap((a) => [
      a.key,
      ...a.modules.map((m) => m.key),
      ...a.versions.map((v) => v.key),
    ]);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('about 10 modules per application, 2–6 versions, running across the environments in order', () => {
    const modules = generated.map((a) => a.modules.length);
    expect(Math.min(...modules)).toBeGreaterThanOrEqual(8);
    expect(Math.max(...modules)).toBeLessThanOrEqual(12);
    expect(modules.reduce((s, n) => s + n, 0) / modules.length).toBeCloseTo(10, 0);
    for (const a of generated) {
      expect(a.versions.length).toBeGreaterThanOrEqual(2);
      expect(a.versions.length).toBeLessThanOrEqual(6);
      const at = a.environments.map((s) => a.versions.findIndex((v) => v.key === s.version));
      expect(a.environments.map((s) => s.environment)).toEqual(
        [DEV, seed.environments[1]!.key, PROD].slice(0, at.length),
      );
      expect(at.length).toBeGreaterThanOrEqual(2);
      expect(at.every((i, n) => i >= 0 && (n === 0 || i <= at[n - 1]!))).toBe(true); // later environments: older or same
    }
    const inProd = generated.filter((a) => a.environments.some((s) => s.environment === PROD)).length;
    expect(inProd).toBeGreaterThan(200);
    expect(inProd).toBeLessThan(300);
    expect(generated.some((a) => a.environments.some((s) => s.isModified))).toBe(true);
    expect(generated.some((a) => a.modules.some((m) => m.kind === 'Extension'))).toBe(true);
    expect(generated.filter((a) => a.versions.some((v) => v.requires.length > 0)).length).toBeGreaterThan(30);
  });

  test('deterministic: the same data, count and seed give the same data set; another seed another one', () => {
    expect(generateApplications(seedData(), 300)).toEqual(big);
    expect(generateApplications(seedData(), 300, 2)).not.toEqual(big);
    expect(generateApplications(seedData(), 0)).toEqual(seedData());
  });
});

describe('a factory of 1,000 applications over HTTP (generateApps)', () => {
  let sim: SimulatorHandle;
  let api: Api;
  beforeAll(async () => ({ sim, api } = await startTestSimulator({ generateApps: 1000 })));
  afterAll(() => sim.close());

  test('the applications are listed with their status; the request log records each response body size', async () => {
    const r = await api.get('/applications/?IncludeEnvStatus=true&IncludeModules=true');
    expect(r.status).toBe(200);
    const apps = r.json<{ Key: string; AppStatusInEnvs: { ModuleStatusInEnvs: unknown[] }[] }[]>();
    expect(apps).toHaveLength(1006);
    const moduleStatuses = apps.reduce(
      (n, a) => n + a.AppStatusInEnvs.reduce((m, s) => m + s.ModuleStatusInEnvs.length, 0),
      0,
    );
    expect(moduleStatuses).toBeGreaterThan(25_000);
    await api.get('/applications/');
    await api.get('/deployments/');
    const [full, plain, none] = sim.requests().slice(-3);
    expect(full!.responseBytes).toBe(Buffer.byteLength(r.text));
    expect(full!.responseBytes).toBeGreaterThan(5_000_000);
    expect(plain!.responseBytes).toBeGreaterThan(100_000);
    expect(plain!.responseBytes).toBeLessThan(full!.responseBytes / 10);
    expect([none!.status, none!.responseBytes]).toEqual([204, 0]);
  });

  test('a generated application deploys from Development to Production without conflicts; reset keeps the factory', async () => {
    const data = sim.data();
    const app = data.applications.find(
      (a) =>
        a.versions.some((v) => v.requires.length > 0) &&
        a.environments.find((s) => s.environment === PROD)?.version !==
          a.environments.find((s) => s.environment === DEV)?.version &&
        a.environments.some((s) => s.environment === PROD),
    )!;
    const version = app.environments.find((s) => s.environment === DEV)!.version;
    const key = await api.create([version]);
    const details = (await api.get(`/deployments/${key}/`)).json<{ ApplicationConflicts: unknown[] }>();
    expect(details.ApplicationConflicts).toEqual([]);
    expect((await api.post(`/deployments/${key}/start/`)).status).toBe(202);
    for (let i = 0; i < 100; i++) {
      const s = await api.status(key);
      if (isTerminal(s)) break;
      if (s.DeploymentStatus === 'needs_user_intervention') await api.post(`/deployments/${key}/continue/`);
    }
    expect(sim.plan(key).status).toBe('finished_successful');
    expect(sim.plan(key).steps.filter((s) => s.id.startsWith('module-deploy:')).length).toBe(app.modules.length);
    const prod = sim
      .data()
      .applications.find((a) => a.key === app.key)!
      .environments.find((s) => s.environment === PROD)!;
    expect(prod.version).toBe(version);
    sim.reset();
    expect(sim.data().applications).toHaveLength(1006);
  });

  test('invalid counts are refused with the option named', async () => {
    await expect(startTestSimulator({ generateApps: -1 })).rejects.toThrow(/generateApps/);
    await expect(startTestSimulator({ generateApps: 1.5 })).rejects.toThrow(/generateApps/);
  });
});
