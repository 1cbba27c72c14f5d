/**
 * A large infrastructure on demand: `generateApplications(data, n)` adds `n` synthetic applications to a data set
 * (`startSimulator({ generateApps: n })`, `npm run simulator -- --generate-apps N`), so tests and the benchmark can
 * run against a factory of 1,000+ applications. Deterministic: the same data, count and seed give the same keys,
 * names, modules, versions and running state.
 *
 * Each application has 8–12 modules (about 10; one in five has an extension, with no database to map) and 2–6
 * tagged versions. The first environment (by order) runs the newest version (modified since its tag for one in
 * ten), each later one the same or an older version, and about one in eight applications has not reached the last
 * environment yet. One application in twenty is a shared producer that runs its newest version everywhere; a third
 * of the others consume one of them, needing only a version every environment has, so the generated data adds no
 * conflicts of its own. Where an environment has more than one deployment zone, one application in ten runs in a
 * zone that is not the default.
 */
import type { SimApplication, SimData, SimEnvironment } from './data';
import { seededRandom, stableUuid } from './util';

const DOMAINS = [
  'Sales',
  'Finance',
  'People',
  'Logistics',
  'Inventory',
  'Customer',
  'Billing',
  'Claims',
  'Procurement',
  'Marketing',
  'Support',
  'Compliance',
  'Fleet',
  'Contracts',
  'Payments',
  'Quality',
];
const KINDS = ['Portal', 'Backoffice', 'Services', 'Hub', 'Tracker', 'Manager', 'Gateway', 'Reports'];
const MODULE_SUFFIXES = ['CS', 'BL', 'API', 'UI', 'Theme', 'IS', 'Reports', 'Notifications', 'Sync', 'Admin', 'Lib'];
const EPOCH = Date.parse('2024-01-08T09:00:00.000Z');
const DAY = 86_400_000;

/** Environments in deployment order (`order`, then position), as the simulator shows them. */
const inOrder = (envs: SimEnvironment[]): SimEnvironment[] =>
  envs
    .map((e, i) => ({ e, o: e.order ?? i }))
    .sort((a, b) => a.o - b.o)
    .map((x) => x.e);

/** `data` plus `count` synthetic applications (a new object; `data` is not changed). */
export function generateApplications(data: SimData, count: number, seed = 1): SimData {
  const rand = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const between = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const envs = inOrder(data.environments);
  const taken = new Set(data.applications.map((a) => a.name.toLowerCase()));
  const producers: { key: string; oldest: string }[] = [];
  const apps: SimApplication[] = [];

  for (let i = 0; i < count; i++) {
    const id = (...parts: string[]): string => stableUuid('generated', String(seed), String(i), ...parts);
    const isProducer = i % 20 === 0;
    const domain = pick(DOMAINS);
    let name = `${domain}${isProducer ? 'Core' : pick(KINDS)}${String(i + 1).padStart(4, '0')}`;
    while (taken.has(name.toLowerCase())) name = `${name}X`;
    taken.add(name.toLowerCase());
    const key = id('application');

    const moduleCount = between(8, 12);
    const withExtension = i % 5 === 2;
    const modules: SimApplication['modules'] = Array.from({ length: moduleCount }, (_, m) => {
      const extension = withExtension && m === moduleCount - 1;
      return {
        key: id('module', String(m)),
        name: m === 0 ? name : `${name}_${extension ? 'Ext' : MODULE_SUFFIXES[(m - 1) % MODULE_SUFFIXES.length]}`,
        kind: extension ? 'Extension' : 'eSpace',
        logicalDatabases: [],
      };
    });

    const producer = !isProducer && producers.length > 0 && rand() < 0.35 ? pick(producers) : undefined;
    const versionCount = between(2, 6);
    const major = between(1, 4);
    let day = between(0, 120);
    const versions: SimApplication['versions'] = Array.from({ length: versionCount }, (_, v) => {
      day += between(7, 60);
      return {
        key: id('version', String(v)),
        version: `${major}.${v}`,
        changeLog: v === 0 ? 'First release' : `Release ${major}.${v}`,
        createdOn: new Date(EPOCH + day * DAY).toISOString(),
        createdBy: 'Generated Team',
        environment: envs[0]?.key,
        requires: producer ? [{ application: producer.key, minVersion: producer.oldest, elements: between(1, 5) }] : [],
      };
    });
    if (isProducer) producers.push({ key, oldest: versions[0]!.version });

    const environments: SimApplication['environments'] = [];
    let at = versionCount - 1;
    for (const [e, env] of envs.entries()) {
      if (e > 0 && !isProducer) {
        if (e === envs.length - 1 && rand() < 0.12) break;
        at = Math.max(0, at - between(0, 1));
      }
      const other = env.zones.find((z) => !z.isDefault);
      environments.push({
        environment: env.key,
        version: versions[at]!.key,
        isModified: e === 0 && !isProducer && rand() < 0.1,
        zone: other && !isProducer && rand() < 0.1 ? other.key : '',
      });
    }

    apps.push({
      key,
      name,
      kind: isProducer ? 'Service' : 'WebResponsive',
      team: `${domain} Team`,
      description: isProducer ? `Shared ${domain} services (producer).` : `Generated ${domain} application.`,
      isSystem: false,
      modules,
      versions,
      environments,
      blockedIn: [],
    });
  }
  const out = structuredClone(data);
  out.applications.push(...apps);
  return out;
}
