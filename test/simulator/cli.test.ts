/**
 * The command (`npm run simulator` = `tsx src/simulator/main.ts`), run as a child process: argument errors
 * (exit 2), the start banner, SIGTERM (exit 0), --data, and --state persistence across a restart.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSimulatorArgs } from '../../src/simulator/main';
import { K, PROD, planBody, useTempDir } from './helpers';

const ROOT = join(__dirname, '..', '..');
const CMD = ['tsx', 'src/simulator/main.ts'];

interface Running {
  child: ChildProcess;
  url: string;
  token: string;
  pid: number;
  out: () => string;
  exited: Promise<number | null>;
}

const started: Running[] = [];
afterAll(() => {
  for (const r of started) if (r.child.exitCode === null) process.kill(r.pid, 'SIGKILL');
});

async function startCli(args: string[]): Promise<Running> {
  const child = spawn('npx', [...CMD, '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  // The banner's last line: the whole banner has arrived (it comes in one write, but a pipe may still split it).
  while (!/data:\s+\d+ environments, \d+ applications\n/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`simulator did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const get = (re: RegExp): string => re.exec(out)![1]!;
  const running: Running = {
    child,
    url: get(/url:\s+(\S+)/),
    token: get(/token:\s+(\S+)/),
    pid: Number(get(/pid:\s+(\d+)/)),
    out: () => out,
    exited,
  };
  started.push(running);
  return running;
}

async function stopCli(r: Running): Promise<number | null> {
  process.kill(r.pid, 'SIGTERM');
  return r.exited;
}

const call = async (r: Running, method: string, path: string, body?: unknown) => {
  const res = await fetch(r.url + path, {
    method,
    headers: { authorization: `Bearer ${r.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
};

describe('argument parsing (in process)', () => {
  test.each([
    [['--port', 'abc'], '--port', '"abc"', 'an integer from 0 to 65535'],
    [['--port', '70000'], '--port', '"70000"', 'an integer from 0 to 65535'],
    [['--speed', '0'], '--speed', '"0"', 'a number greater than 0'],
    [['--speed', 'fast'], '--speed', '"fast"', 'a number greater than 0'],
    [['--progression', 'sometimes'], '--progression', '"sometimes"', 'wall or per-poll'],
    [['--parallel-limit', '0'], '--parallel-limit', '"0"', 'an integer from 1 to 1000'],
    [['--generate-apps', 'many'], '--generate-apps', '"many"', 'an integer from 0 to 100000'],
  ])('%j → an error naming the flag, the value and what is accepted', (argv, flag, value, accepted) => {
    const r = parseSimulatorArgs(argv);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toContain(flag);
    expect(r.error).toContain(value);
    expect(r.error).toContain(accepted);
  });

  test('valid flags become simulator options; unknown flags and positionals are errors', () => {
    const ok = parseSimulatorArgs([
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--token',
      't',
      '--data',
      'd.json',
      '--generate-apps',
      '1000',
      '--state',
      's.json',
      '--speed',
      '600',
      '--progression',
      'per-poll',
      '--parallel-limit',
      '1',
    ]);
    expect(ok).toEqual({
      ok: true,
      help: false,
      options: {
        host: '0.0.0.0',
        port: 0,
        token: 't',
        dataFile: 'd.json',
        generateApps: 1000,
        stateFile: 's.json',
        speed: 600,
        progression: 'per-poll',
        parallelLimit: 1,
      },
    });
    expect(parseSimulatorArgs(['--bogus'])).toMatchObject({ ok: false, error: expect.stringContaining('--bogus') });
    expect(parseSimulatorArgs(['extra'])).toMatchObject({ ok: false });
  });
});

describe('the simulator command', () => {
  let dir: string;
  useTempDir('lt-sim-', (created) => (dir = created));

  test('package.json has the simulator script', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.simulator).toBe('tsx src/simulator/main.ts');
  });

  test('bad arguments: exit 2 with a message naming the flag, value and accepted values', () => {
    const r = spawnSync('npx', [...CMD, '--progression', 'sometimes'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('invalid value for --progression: "sometimes"; expected wall or per-poll');
    const bad = join(dir, 'bad-data.json');
    writeFileSync(bad, JSON.stringify({ environments: [{ key: 'e' }], applications: [] }));
    const d = spawnSync('npx', [...CMD, '--data', bad], { cwd: ROOT, encoding: 'utf8' });
    expect(d.status).toBe(2);
    expect(d.stderr).toContain('environments[0].name');
  });

  test('prints the URL and token, serves requests, stops on SIGTERM with exit 0; --data replaces the seed, --generate-apps adds to it', async () => {
    const file = join(dir, 'data.json');
    writeFileSync(
      file,
      JSON.stringify({
        environments: [
          { key: 'env-1', name: 'Sandbox' },
          { key: 'env-2', name: 'Live' },
        ],
        applications: [],
      }),
    );
    const r = await startCli(['--data', file, '--token', 'cli-token', '--generate-apps', '25']);
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/lifetimeapi\/rest\/v2$/);
    expect(r.token).toBe('cli-token');
    expect(r.out()).toMatch(/data:\s+2 environments, 25 applications/);
    const envs = await call(r, 'GET', '/environments/');
    expect(envs.status).toBe(200);
    expect((JSON.parse(envs.text) as { Name: string }[]).map((e) => e.Name)).toEqual(['Sandbox', 'Live']);
    const apps = JSON.parse((await call(r, 'GET', '/environments/env-1/applications/')).text) as unknown[];
    expect(apps).toHaveLength(25);
    expect(await stopCli(r)).toBe(0);
    expect(r.out()).toContain('GET /lifetimeapi/rest/v2/environments/ → 200');
    expect(r.out()).toContain('SIGTERM: stopping the LifeTime simulator');
  });

  test('--state: plans, their logs and tagged versions survive a restart, and a running plan resumes', async () => {
    const state = join(dir, 'state.json');
    const first = await startCli(['--state', state, '--progression', 'per-poll']);
    const key = (await call(first, 'POST', '/deployments/', planBody([K.employeeBackoffice10]))).text;
    expect(key).toBe(K.firstDeployment);
    expect((await call(first, 'POST', `/deployments/${key}/start/`)).status).toBe(202);
    for (let i = 0; i < 3; i++) await call(first, 'GET', `/deployments/${key}/status/`);
    const before = JSON.parse((await call(first, 'GET', `/deployments/${key}/status/`)).text) as {
      DeploymentStatus: string;
      DeploymentLog: unknown[];
    };
    expect(before.DeploymentStatus).toBe('running');
    const tag = await call(first, 'POST', `/environments/${K.development}/applications/${K.expenseTracker}/versions/`, {
      Version: '2.2',
    });
    expect(tag.status).toBe(201);
    expect(await stopCli(first)).toBe(0);

    const second = await startCli(['--state', state, '--progression', 'per-poll']);
    const after = JSON.parse((await call(second, 'GET', `/deployments/${key}/status/`)).text) as {
      DeploymentStatus: string;
      DeploymentLog: unknown[];
    };
    expect(after.DeploymentStatus).toBe('running');
    expect(after.DeploymentLog.length).toBeGreaterThanOrEqual(before.DeploymentLog.length);
    const versions = JSON.parse((await call(second, 'GET', `/applications/${K.expenseTracker}/versions/`)).text) as {
      Version: string;
    }[];
    expect(versions[0]!.Version).toBe('2.2');
    const next = (await call(second, 'POST', '/deployments/', planBody([K.hrCore12]))).text;
    expect(next).not.toBe(K.firstDeployment);
    expect(await stopCli(second)).toBe(0);

    const third = await startCli(['--state', state, '--progression', 'wall', '--speed', '100000']);
    await new Promise((r) => setTimeout(r, 300));
    const done = JSON.parse((await call(third, 'GET', `/deployments/${key}/status/`)).text) as {
      DeploymentStatus: string;
    };
    expect(done.DeploymentStatus).toBe('finished_successful');
    const prod = JSON.parse(
      (await call(third, 'GET', `/environments/${PROD}/applications/${K.employeeBackoffice}/?IncludeEnvStatus=true`))
        .text,
    ) as {
      AppStatusInEnvs: { BaseApplicationVersionKey: string }[];
    };
    expect(prod.AppStatusInEnvs[0]!.BaseApplicationVersionKey).toBe(K.employeeBackoffice10);
    expect(await stopCli(third)).toBe(0);
  });
});
