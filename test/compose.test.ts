/**
 * docker-compose.yml and the Dockerfile, checked without Docker against the code they run: pinned images, files
 * that exist, environment variables the worker really reads, simulator flags the simulator accepts, the search
 * attributes of src/workflows/search-attributes.ts, the demo profile's wiring, health checks and no secrets; and
 * against the stack harness the fault tests run on (src/dev/stack): the Temporal release, the schema steps of both
 * databases, the history shards and the namespace retention.
 * Each check collects readable problems and expects none, so a failure names the service and what is wrong.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { WorkerEnv } from '../src/config';
import { normaliseBaseUrl } from '../src/lifetime/http';
import {
  DATABASES,
  NAMESPACE_RETENTION_HOURS,
  NUM_HISTORY_SHARDS,
  schemaSteps,
  TEMPORAL_SERVER_VERSION,
} from '../src/dev/stack';
import { cliTypeName } from '../src/search-attribute-types';
import { startSimulator } from '../src/simulator';
import { parseSimulatorArgs, SimulatorFlags } from '../src/simulator/main';
import { searchAttributes } from '../src/workflows/search-attributes';

const ROOT = path.resolve(__dirname, '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');

type EnvValue = string | number | boolean | null;
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, EnvValue> | string[];
  profiles?: string[];
  ports?: (string | number | { target: number; published?: string | number })[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  [key: string]: unknown;
}

/** The TEMPORAL_* variables @temporalio/envconfig reads (a library's contract, from its loadClientConnectConfig). */
const TEMPORAL_ENVCONFIG_VARS = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
  'TEMPORAL_CODEC_ENDPOINT',
  'TEMPORAL_CODEC_AUTH',
];
const TEMPORAL_ENVCONFIG_PREFIX = 'TEMPORAL_GRPC_META_';

/** An image reference pinned to a version (major.minor at least) or a digest; never `latest` or untagged. */
const PINNED_IMAGE = /^[a-z0-9][a-z0-9._/-]*(:\d+\.\d+[A-Za-z0-9._-]*)?(@sha256:[a-f0-9]{64})?$/;
const isPinned = (ref: string): boolean =>
  PINNED_IMAGE.test(ref) && (/:\d+\.\d+/.test(ref) || /@sha256:/.test(ref)) && !ref.includes('$');

/**
 * A long-running process must get SIGTERM itself: npx/npm exit on it without passing it on (seen with npm 10.8 and
 * 11), so `docker stop` would kill the worker without draining. `node --import tsx file.ts` is one process.
 */
const NPM_LAUNCHER = /(^|[\s;&|])(npx|npm\s+(exec|run|start|x))\s/;
const NPM_LAUNCHER_WHY = 'which exits on SIGTERM without passing it on (use `node --import tsx …`)';

const SECRET_NAME = /TOKEN|PASSWORD|PASSWD|PWD|SECRET|API_KEY|CREDENTIAL|PRIVATE/i;
/** `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`: a value taken from the host environment. */
const HOST_VAR = /^\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}$/;

const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
const services = Object.entries(compose.services);
const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));

function parseDockerfile(text: string): { instruction: string; args: string }[] {
  return text
    .split(/\r?\n/)
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l)
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l)!;
      return { instruction: m[1]!.toUpperCase(), args: m[2]! };
    });
}

/** The Dockerfile's CMD in exec form (the image's default command). */
function dockerfileCmd(): string[] {
  const cmd = dockerfile.filter((i) => i.instruction === 'CMD').pop();
  return cmd ? (JSON.parse(cmd.args) as string[]) : [];
}

const buildsProductImage = (s: Service): boolean => s.build !== undefined;

/** What the container runs: entrypoint + command, or the Dockerfile's CMD for the product's image. */
function commandLine(s: Service): string[] {
  const asList = (v: string | string[] | undefined): string[] =>
    v === undefined ? [] : Array.isArray(v) ? v.map(String) : v.split(/\s+/);
  const command = s.command !== undefined ? asList(s.command) : buildsProductImage(s) ? dockerfileCmd() : [];
  return [...asList(s.entrypoint), ...command];
}

type Role = 'worker' | 'simulator';
function role(s: Service): Role | undefined {
  const text = commandLine(s).join(' ');
  if (/\bsrc\/worker\.ts\b/.test(text)) return 'worker';
  if (/\bsrc\/simulator\/main\.ts\b/.test(text)) return 'simulator';
  return undefined;
}
const withRole = (r: Role) => services.filter(([, s]) => buildsProductImage(s) && role(s) === r);
const inDemo = (s: Service): boolean => (s.profiles ?? []).includes('demo');

function environment(s: Service): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(s.environment)) {
    for (const entry of s.environment) {
      const i = entry.indexOf('=');
      if (i < 0) out[entry] = null;
      else out[entry.slice(0, i)] = entry.slice(i + 1);
    }
  } else {
    for (const [k, v] of Object.entries(s.environment ?? {})) out[k] = v === null ? null : String(v);
  }
  return out;
}

/** Container-side ports of `ports:` (short syntax `[ip:][host:]container[/proto]` or long syntax). */
function containerPorts(s: Service): number[] {
  return (s.ports ?? []).map((p) =>
    typeof p === 'object' ? Number(p.target) : Number(String(p).split('/')[0]!.split(':').pop()),
  );
}

/** Ports the health check probes (`http://host:PORT/…`, `--address host:PORT`). */
function healthcheckPorts(s: Service): number[] {
  const test = s.healthcheck?.test;
  const text = Array.isArray(test) ? test.join(' ') : (test ?? '');
  return [...text.matchAll(/(?:\/\/|--address\s+)[\w.-]+:(\d+)/g)].map((m) => Number(m[1]));
}

function dependsOn(s: Service): Record<string, string> {
  if (Array.isArray(s.depends_on)) return Object.fromEntries(s.depends_on.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([d, v]) => [d, v.condition ?? 'service_started']));
}

/** Every string in a value (keys excluded), with where it is. */
function strings(value: unknown, where: string): { where: string; text: string }[] {
  if (typeof value === 'string') return [{ where, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${where}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, `${where}.${k}`));
  return [];
}

/** The simulator's own defaults (token, API path), read from the code by starting it on a free loopback port. */
let simDefaults: { token: string; apiPath: string };
beforeAll(async () => {
  const sim = await startSimulator({ host: '127.0.0.1', port: 0 });
  simDefaults = { token: sim.token, apiPath: new URL(sim.url).pathname.replace(/\/*$/, '/') };
  await sim.close();
});

describe('Dockerfile', () => {
  test('builds FROM a pinned image and runs as a non-root user', () => {
    const problems: string[] = [];
    const from = dockerfile.filter((i) => i.instruction === 'FROM');
    if (from.length === 0) problems.push('no FROM');
    for (const f of from) {
      const ref = f.args.split(/\s+/).find((a) => !a.startsWith('--'))!;
      if (!isPinned(ref)) problems.push(`FROM ${ref}: not pinned to an explicit version`);
    }
    const user = dockerfile.filter((i) => i.instruction === 'USER').pop()?.args;
    if (!user || /^(root|0)(:|$)/.test(user)) problems.push(`the last USER is ${user ?? 'missing'}: run as non-root`);
    expect(problems).toEqual([]);
  });

  test('every file it copies or runs exists, and .dockerignore keeps them in the build context', () => {
    const problems: string[] = [];
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim().replace(/^\/|\/$/g, ''))
      .filter((l) => l && !l.startsWith('#'));
    for (const must of ['node_modules', '.git']) {
      if (!ignored.includes(must)) problems.push(`.dockerignore: ${must} is not excluded`);
    }
    const referenced: string[] = [];
    for (const { instruction, args } of dockerfile) {
      if ((instruction === 'COPY' || instruction === 'ADD') && !/--from=/.test(args)) {
        const parts = args.split(/\s+/).filter((a) => !a.startsWith('--'));
        referenced.push(...parts.slice(0, -1));
      }
      if (instruction === 'RUN' || instruction === 'CMD' || instruction === 'ENTRYPOINT') {
        referenced.push(...[...args.matchAll(/[\w./-]+\.(?:ts|js|json)\b/g)].map((m) => m[0]));
      }
    }
    for (const file of referenced) {
      const rel = file.replace(/^\.\//, '');
      if (!existsSync(path.join(ROOT, rel))) problems.push(`Dockerfile references ${file}, which does not exist`);
      const hit = ignored.find((pat) => rel === pat || rel.startsWith(`${pat}/`));
      if (hit) problems.push(`Dockerfile copies ${file}, but .dockerignore excludes it (${hit})`);
    }
    for (const needed of ['scripts/build-bundle.ts', 'src/worker.ts', 'package-lock.json']) {
      if (!referenced.some((r) => r.replace(/^\.\//, '') === needed || needed.startsWith(`${r.replace(/^\.\//, '')}/`)))
        problems.push(`Dockerfile does not bring in ${needed}`);
    }
    if (!dockerfile.some((i) => i.instruction === 'RUN' && /\bnpm ci\b/.test(i.args)))
      problems.push('dependencies are not installed with `npm ci` (from the lockfile)');
    if (!dockerfile.some((i) => i.instruction === 'RUN' && /tsx scripts\/build-bundle\.ts/.test(i.args)))
      problems.push('the workflow bundle is not prebuilt (scripts/build-bundle.ts)');
    if (!dockerfileCmd().join(' ').includes('src/worker.ts')) problems.push('the default CMD does not run the worker');
    if (NPM_LAUNCHER.test(dockerfileCmd().join(' ')))
      problems.push(`the default CMD starts the worker through npx/npm, ${NPM_LAUNCHER_WHY}`);
    expect(problems).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  test('every service runs a pinned image or builds the Dockerfile', () => {
    const problems: string[] = [];
    for (const [name, s] of services) {
      if (s.build !== undefined) {
        const b = typeof s.build === 'string' ? { context: s.build } : s.build;
        const context = path.resolve(ROOT, b.context ?? '.');
        const file = path.resolve(context, b.dockerfile ?? 'Dockerfile');
        if (!existsSync(file)) problems.push(`${name}: build ${path.relative(ROOT, file)} does not exist`);
      } else if (!s.image) {
        problems.push(`${name}: neither image nor build`);
      } else if (!isPinned(s.image)) {
        problems.push(`${name}: image ${s.image} is not pinned to an explicit version (no latest, no bare tag)`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('the product image runs only the worker or the simulator, from files that exist', () => {
    const problems: string[] = [];
    for (const [name, s] of services.filter(([, sv]) => buildsProductImage(sv))) {
      const r = role(s);
      if (!r)
        problems.push(
          `${name}: runs neither src/worker.ts nor src/simulator/main.ts: ${commandLine(s).join(' ').slice(0, 80)}`,
        );
      const text = commandLine(s).join(' ');
      for (const m of text.matchAll(/\b(?:src|scripts|bin)\/[\w./-]+\.(?:ts|js)\b/g)) {
        if (!existsSync(path.join(ROOT, m[0]))) problems.push(`${name}: runs ${m[0]}, which does not exist`);
      }
      if (NPM_LAUNCHER.test(text)) problems.push(`${name}: started through npx/npm, ${NPM_LAUNCHER_WHY}`);
    }
    expect(withRole('worker').length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  test('worker services set only variables the worker reads, and every required one', () => {
    const accepted = new Set([...Object.keys(WorkerEnv.shape), ...TEMPORAL_ENVCONFIG_VARS]);
    const problems: string[] = [];
    for (const [name, s] of withRole('worker')) {
      const env = environment(s);
      for (const key of Object.keys(env)) {
        if (!accepted.has(key) && !key.startsWith(TEMPORAL_ENVCONFIG_PREFIX))
          problems.push(`${name}: ${key} is not read by the worker (src/config.ts WorkerEnv, @temporalio/envconfig)`);
      }
      for (const required of ['LIFETIME_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE']) {
        if (!(required in env)) problems.push(`${name}: ${required} is missing`);
      }
      if (!('LIFETIME_TOKEN' in env) && !('LIFETIME_TOKEN_FILE' in env))
        problems.push(`${name}: no token source (LIFETIME_TOKEN or LIFETIME_TOKEN_FILE)`);
      const address = env.TEMPORAL_ADDRESS ?? '';
      const [host, port] = address.split(':');
      const target = compose.services[host ?? ''];
      if (!target) problems.push(`${name}: TEMPORAL_ADDRESS ${address} is not a service of this file`);
      else if (!containerPorts(target).includes(Number(port)) && !healthcheckPorts(target).includes(Number(port)))
        problems.push(`${name}: TEMPORAL_ADDRESS ${address}: ${host} does not serve port ${port}`);
      const metrics = env.LIFETIME_DEPLOY_METRICS_PORT;
      for (const p of healthcheckPorts(s)) {
        if (String(p) !== metrics)
          problems.push(`${name}: the health check probes port ${p}, LIFETIME_DEPLOY_METRICS_PORT is ${metrics}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('the simulator is started with flags it accepts, on the port it publishes and probes', () => {
    const flagNames = new Set(Object.keys(SimulatorFlags.shape));
    const problems: string[] = [];
    const sims = withRole('simulator');
    expect(sims.length).toBeGreaterThan(0);
    for (const [name, s] of sims) {
      const argv = commandLine(s);
      const args = argv.slice(argv.findIndex((a) => a.endsWith('src/simulator/main.ts')) + 1);
      for (const a of args.filter((x) => x.startsWith('--'))) {
        const flag = a.slice(2).split('=')[0]!;
        if (!flagNames.has(flag)) problems.push(`${name}: --${flag} is not a simulator flag (src/simulator/main.ts)`);
      }
      const parsed = parseSimulatorArgs(args);
      if (!parsed.ok) {
        problems.push(`${name}: the simulator rejects its command: ${parsed.error.split('\n')[0]}`);
        continue;
      }
      const { host, port } = parsed.options;
      if (host !== '0.0.0.0' && host !== '::')
        problems.push(`${name}: --host ${host ?? '(default 127.0.0.1)'} is not reachable from other containers`);
      if (port === undefined || port === 0) problems.push(`${name}: give --port explicitly`);
      if (!containerPorts(s).includes(port!))
        problems.push(`${name}: listens on ${port}, publishes ${containerPorts(s).join(', ') || 'nothing'}`);
      const probed = healthcheckPorts(s);
      if (probed.length === 0 || probed.some((p) => p !== port))
        problems.push(`${name}: listens on ${port}, the health check probes ${probed.join(', ') || 'no port'}`);
    }
    expect(problems).toEqual([]);
  });

  test('temporal-admin-tools registers exactly the search attributes of src/workflows/search-attributes.ts', () => {
    const admin = compose.services['temporal-admin-tools'];
    expect(admin).toBeDefined();
    const script = commandLine(admin!).join('\n');
    expect(script).toContain('temporal operator search-attribute create');
    const registered = [...script.matchAll(/^\s*register\s+(\S+)\s+(\S+)\s*$/gm)].map((m) => `${m[1]} ${m[2]}`);
    const expected = Object.values(searchAttributes).map((k) => `${k.name} ${cliTypeName(k.type)}`);
    expect(registered.sort()).toEqual(expected.sort());

    const problems: string[] = [];
    const namespace = environment(admin!).TEMPORAL_NAMESPACE;
    for (const [name, s] of withRole('worker')) {
      if (environment(s).TEMPORAL_NAMESPACE !== namespace)
        problems.push(`${name}: namespace ${environment(s).TEMPORAL_NAMESPACE}, the admin job sets up ${namespace}`);
      const deps = dependsOn(s);
      if (deps['temporal-admin-tools'] !== 'service_completed_successfully')
        problems.push(`${name}: does not wait for temporal-admin-tools to complete successfully`);
    }
    expect(problems).toEqual([]);
  });

  test('long-running services have health checks, and every service_healthy dependency has one', () => {
    const problems: string[] = [];
    const oneShot = new Set(
      services.flatMap(([, s]) =>
        Object.entries(dependsOn(s))
          .filter(([, c]) => c === 'service_completed_successfully')
          .map(([d]) => d),
      ),
    );
    for (const [name, s] of services) {
      const hasCheck = !!s.healthcheck?.test && !s.healthcheck.disable;
      if (!oneShot.has(name) && !hasCheck) problems.push(`${name}: no health check`);
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        const target = compose.services[dep];
        if (!target) problems.push(`${name}: depends on ${dep}, which is not a service`);
        else if (condition === 'service_healthy' && !target.healthcheck?.test)
          problems.push(`${name}: waits for ${dep} to be healthy, but ${dep} has no health check`);
        else if (!inDemo(s) && inDemo(target)) problems.push(`${name}: depends on ${dep}, which only the demo runs`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('the demo profile runs the simulator and a worker wired to it; plain up takes LifeTime from the host', () => {
    const problems: string[] = [];
    const demoSims = withRole('simulator').filter(([, s]) => inDemo(s));
    const demoWorkers = withRole('worker').filter(([, s]) => inDemo(s));
    const plainWorkers = withRole('worker').filter(([, s]) => !s.profiles?.length);
    if (demoSims.length !== 1) problems.push(`the demo profile has ${demoSims.length} simulators, expected 1`);
    if (demoWorkers.length === 0) problems.push('the demo profile has no worker');
    if (plainWorkers.length === 0) problems.push('no worker runs on a plain `docker compose up`');
    for (const [name, s] of withRole('simulator')) {
      if (!inDemo(s)) problems.push(`${name}: the simulator must run only in the demo profile`);
    }
    const defaultQueue = WorkerEnv.shape.LIFETIME_DEPLOY_TASK_QUEUE.parse(undefined);
    const queue = (s: Service): string => environment(s).LIFETIME_DEPLOY_TASK_QUEUE ?? defaultQueue;
    for (const [name, s] of demoWorkers) {
      for (const [plainName, plain] of plainWorkers) {
        if (queue(s) === queue(plain))
          problems.push(`${name} and ${plainName} share task queue ${queue(s)}: a real worker could pick up demo work`);
      }
    }
    const [simName, sim] = demoSims[0] ?? [];
    const simArgs = sim ? commandLine(sim) : [];
    const simParsed = parseSimulatorArgs(simArgs.slice(simArgs.indexOf('src/simulator/main.ts') + 1));
    if (simName && simParsed.ok) {
      const simPort = simParsed.options.port;
      const simToken = simParsed.options.token ?? simDefaults.token;
      const expectedUrl = `http://${simName}:${simPort}${simDefaults.apiPath}`;
      for (const [name, s] of demoWorkers) {
        const env = environment(s);
        let url: URL | undefined;
        try {
          url = new URL(normaliseBaseUrl(env.LIFETIME_URL ?? ''));
        } catch (err) {
          problems.push(`${name}: LIFETIME_URL ${env.LIFETIME_URL ?? 'is not set'}: ${(err as Error).message}`);
        }
        if (url && (url.hostname !== simName || Number(url.port) !== simPort || url.pathname !== simDefaults.apiPath))
          problems.push(`${name}: LIFETIME_URL ${env.LIFETIME_URL} is not the simulator (${expectedUrl})`);
        if (env.LIFETIME_TOKEN !== simToken) problems.push(`${name}: LIFETIME_TOKEN is not the simulator's token`);
        if (dependsOn(s)[simName] !== 'service_healthy')
          problems.push(`${name}: does not wait for ${simName} to be healthy`);
      }
    }
    for (const [name, s] of plainWorkers) {
      const env = environment(s);
      for (const key of ['LIFETIME_URL', 'LIFETIME_TOKEN']) {
        const v = env[key];
        const m = v === null || v === undefined ? undefined : HOST_VAR.exec(v);
        const fromHost = v === null || (m && m[1] === key && m[2] !== '-' && m[2] !== ':-');
        if (!fromHost) problems.push(`${name}: ${key} must come from the host environment (got ${JSON.stringify(v)})`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('no secrets: credentials come from the host; the simulator token only in the demo profile', () => {
    const problems: string[] = [];
    const publicToken = simDefaults.token;
    const opaque =
      /(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{32,}(?![\w-])|eyJ[\w-]{8,}\.[\w-]{8,}|-----BEGIN [A-Z ]+-----/;
    for (const [name, s] of services) {
      for (const [key, value] of Object.entries(environment(s))) {
        if (!SECRET_NAME.test(key) || value === null) continue;
        const m = HOST_VAR.exec(value);
        if (m) {
          const fallback = m[2]?.includes('-') ? (m[3] ?? '') : '';
          if (fallback && (/LIFETIME_TOKEN|API_KEY/.test(key) || !/^[a-z]{1,16}$/.test(fallback)))
            problems.push(`${name}: ${key} falls back to a literal (${m[3]}); a credential needs no default`);
        } else if (!(inDemo(s) && value === publicToken)) {
          problems.push(`${name}: ${key} is a literal; take it from the host environment (\${${key}})`);
        }
      }
      for (const { where, text } of strings(s, name)) {
        if (text.includes(publicToken) && !inDemo(s))
          problems.push(`${where}: the simulator token outside the demo profile`);
        if (opaque.test(text)) problems.push(`${where}: looks like a secret: ${text.slice(0, 40)}`);
      }
      const flag = /--(?:token|api-key|password)[=\s]+(\S+)/.exec(commandLine(s).join(' '));
      if (flag && !(inDemo(s) && flag[1] === publicToken))
        problems.push(`${name}: a credential on the command line (${flag[0].split(/[=\s]/)[0]})`);
    }
    for (const [key, value] of Object.entries(compose).filter(([k]) => k !== 'services')) {
      for (const { where, text } of strings(value, key)) {
        if (text.includes(publicToken) || opaque.test(text)) problems.push(`${where}: a credential outside a service`);
      }
    }
    expect(problems).toEqual([]);
  });
});

/**
 * The compose file runs what the stack harness (src/dev/stack, `npm run stack`, the stack tests) runs and proves:
 * the same server release, the same schema steps for both databases, the same number of history shards, the
 * namespace with the same retention. A change to either side that the other lacks fails here.
 */
describe('docker-compose.yml runs the production topology the stack tests prove', () => {
  const temporal = compose.services.temporal;
  const schemaJob = compose.services['temporal-schema'];
  const adminJob = compose.services['temporal-admin-tools'];
  /** Where the admin-tools image keeps the schema files of its release. */
  const IMAGE_SCHEMA_ROOT = '/etc/temporal/schema/postgresql/v12';

  test(`the server is temporalio/server:${TEMPORAL_SERVER_VERSION}, the release the harness builds; admin tools of the same release`, () => {
    expect(temporal?.image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    const problems: string[] = [];
    for (const [name, s] of services) {
      const image = s.image ?? '';
      if (/^temporalio\/auto-setup:/.test(image))
        problems.push(`${name}: auto-setup sets up schemas on its own; the temporal-schema job does it`);
      if (/^temporalio\/(server|admin-tools):/.test(image)) {
        const version = /:(\d+\.\d+\.\d+)/.exec(image)?.[1];
        if (version !== TEMPORAL_SERVER_VERSION)
          problems.push(
            `${name}: ${image} is not release ${TEMPORAL_SERVER_VERSION} (src/dev/stack/server-binaries.ts)`,
          );
      }
    }
    expect(problems).toEqual([]);
  });

  test('temporal-schema creates and migrates both databases with the harness steps, before the server starts', () => {
    expect(schemaJob).toBeDefined();
    expect(schemaJob!.image).toMatch(/^temporalio\/admin-tools:/);
    const lines = commandLine(schemaJob!)
      .join('\n')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('temporal-sql-tool'));
    const expected = DATABASES.flatMap((db) =>
      schemaSteps(IMAGE_SCHEMA_ROOT, db.schema).map((step) => `temporal-sql-tool --db ${db.name} ${step.join(' ')}`),
    );
    expect(lines).toEqual(expected);
    expect(dependsOn(temporal!)['temporal-schema']).toBe('service_completed_successfully');
    expect(dependsOn(schemaJob!).postgresql).toBe('service_healthy');
  });

  test('the schema job and the server use the same database, role and password', () => {
    const job = environment(schemaJob!);
    const server = environment(temporal!);
    expect(job.SQL_PLUGIN).toBe('postgres12');
    expect(server.DB).toBe('postgres12');
    expect(job.SQL_HOST).toBe(server.POSTGRES_SEEDS);
    expect(job.SQL_PORT).toBe(server.DB_PORT);
    expect(job.SQL_USER).toBe(server.POSTGRES_USER);
    expect(job.SQL_PASSWORD).toBe(server.POSTGRES_PWD);
    expect(compose.services[server.POSTGRES_SEEDS ?? '']).toBeDefined();
    expect(environment(compose.services[server.POSTGRES_SEEDS!]!).POSTGRES_USER).toBe(server.POSTGRES_USER);
  });

  test('history shards and namespace retention as in the harness', () => {
    expect(environment(temporal!).NUM_HISTORY_SHARDS).toBe(String(NUM_HISTORY_SHARDS));
    const script = commandLine(adminJob!).join('\n');
    expect(script).toContain('temporal operator namespace create');
    expect(script).toContain(`--retention ${NAMESPACE_RETENTION_HOURS}h`);
  });
});
