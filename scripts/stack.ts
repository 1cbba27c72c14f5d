/**
 * `npm run stack [-- --check] [--keep]`: the production topology without Docker. A Temporal server (the real
 * temporal-server at docker-compose.yml's version, built with Go once and cached under .temporal/server/) on a
 * private PostgreSQL, both databases migrated with temporal-sql-tool, the namespace and the product's search
 * attributes registered, all on loopback ports. Prints the address and the commands to use it, and runs until
 * Ctrl-C (SIGINT) or SIGTERM, then stops the server and PostgreSQL and removes their folder.
 *
 *   --check  bring the stack up, run one deployment through it (the LifeTime simulator, the worker process, one
 *            plan, outcome succeeded), tear it down; exit 0 when it all worked, 1 when not
 *   --keep   keep the stack's folder (PostgreSQL data and log, the server's config and log) after stopping
 *
 * Exit 2 when Go or PostgreSQL is missing, with what to install.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { StackSetupError, startTemporalOnPostgres, type TemporalOnPostgres } from '../src/dev/stack';
import { PROJECT_ROOT } from '../src/dev/temporal-binaries';
import { startSimulator } from '../src/simulator';
import { startOptions } from '../src/starter';
import { WORKFLOW_TYPE, type DeployResult } from '../src/workflows/messages';

const USAGE = 'usage: npm run stack [-- --check] [--keep]';

const say = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

/** One deployment end to end on the stack: simulator (in this process), the worker process, a client. */
async function check(stack: TemporalOnPostgres): Promise<boolean> {
  const sim = await startSimulator({ port: 0, speed: 600 });
  const dir = mkdtempSync(path.join(tmpdir(), 'lifetime-deploy-stack-check-'));
  const tokenFile = path.join(dir, 'lifetime-token');
  writeFileSync(tokenFile, `${sim.token}\n`, { mode: 0o600 });
  const taskQueue = `stack-check-${process.pid}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: stack.address,
    TEMPORAL_NAMESPACE: stack.namespace,
    LIFETIME_URL: sim.url,
    LIFETIME_TOKEN_FILE: tokenFile,
    LIFETIME_DEPLOY_TASK_QUEUE: taskQueue,
  };
  delete env.LIFETIME_TOKEN;
  const worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let workerOut = '';
  worker.stdout.on('data', (d: Buffer) => (workerOut += d.toString()));
  worker.stderr.on('data', (d: Buffer) => (workerOut += d.toString()));
  const connection = await Connection.connect({ address: stack.address });
  try {
    const started = Date.now();
    while (!workerOut.includes('"worker started"')) {
      if (worker.exitCode !== null || Date.now() - started > 120_000)
        throw new Error(`the worker did not start:\n${workerOut.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const client = new Client({ connection, namespace: stack.namespace });
    const id = `stack-check-${Date.now().toString(36)}`;
    const handle = await client.workflow.start(
      WORKFLOW_TYPE,
      startOptions(
        {
          applications: [{ app: 'EmployeeBackoffice' }],
          source: 'Development',
          target: 'Production',
          requestedBy: 'npm run stack --check',
          policies: {
            polling: { firstPollSeconds: 0.5, minIntervalSeconds: 0.5, maxIntervalSeconds: 1, backoff: 1.5 },
          },
        },
        taskQueue,
        id,
      ),
    );
    note(`check: deployment ${id} started (EmployeeBackoffice Development → Production on the simulator)`);
    const result = (await handle.result()) as DeployResult;
    const plans = sim.plans();
    // Visibility is written asynchronously: give it a few seconds.
    let listed = { count: 0 };
    for (let i = 0; i < 50 && listed.count === 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      listed = await client.workflow.count(`LifeTimeDeploymentKey = "${result.deploymentKey ?? ''}"`);
    }
    note(
      `check: outcome ${result.outcome}, ${plans.length} plan(s) in LifeTime, ${result.polls} polls; ` +
        `visibility finds it by LifeTimeDeploymentKey: ${listed.count}`,
    );
    return result.outcome === 'succeeded' && plans.length === 1 && listed.count === 1;
  } finally {
    worker.kill('SIGTERM');
    if (worker.exitCode === null) await new Promise((r) => worker.once('exit', r));
    await connection.close().catch(() => undefined);
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  let flags: { check?: boolean; keep?: boolean; help?: boolean };
  try {
    flags = parseArgs({
      args: process.argv.slice(2),
      options: { check: { type: 'boolean' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (err) {
    note(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    say(USAGE);
    return 0;
  }
  // Ctrl-C reaches every process of the terminal's group at once (npm, tsx, this one), and tsx may pass it on
  // again: the handlers stay for the whole run (a signal with no handler left would end this process before
  // PostgreSQL is stopped), and a signal during start-up stops the stack as soon as it is up.
  let interrupted: NodeJS.Signals | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      note(`${signal}: already stopping the Temporal server and PostgreSQL …`);
      return;
    }
    interrupted = signal;
    note(`${signal}: stopping the Temporal server and PostgreSQL …`);
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let stack: TemporalOnPostgres;
  try {
    stack = await startTemporalOnPostgres({ log: note, keepDir: flags.keep });
  } catch (err) {
    if (err instanceof StackSetupError) {
      note(err.message);
      return err.exitCode;
    }
    throw err;
  }
  const stopStack = async (): Promise<number> => {
    try {
      await stack.stop();
      note(flags.keep ? `stopped; the folder is kept: ${stack.dir}` : 'stopped');
      return 0;
    } catch (err) {
      note(`stopping failed: ${(err as Error).message}`);
      return 1;
    }
  };
  if (interrupted) {
    await stopStack();
    return 130;
  }

  if (flags.check) {
    let ok = false;
    try {
      ok = await check(stack);
    } catch (err) {
      note(`check failed: ${(err as Error).message}`);
    } finally {
      await stopStack();
    }
    if (interrupted) return 130;
    note(ok ? 'check passed; the stack is stopped' : 'check FAILED; the stack is stopped');
    return ok ? 0 : 1;
  }

  say(`Temporal ${stack.binaries.version} on PostgreSQL is serving`);
  say(`  address:   ${stack.address}   (namespace ${stack.namespace})`);
  say(`  postgres:  ${stack.postgres.host}:${stack.postgres.port} (databases temporal, temporal_visibility)`);
  say(`  logs:      ${stack.serverLogFile}, ${stack.postgres.logFile}`);
  say(`  worker:    TEMPORAL_ADDRESS=${stack.address} npm run worker   (with LIFETIME_URL and LIFETIME_TOKEN_FILE)`);
  say(`  CLI:       TEMPORAL_ADDRESS=${stack.address} npx lifetime-deploy list`);
  say('Ctrl-C stops the server and PostgreSQL.');
  await new Promise<void>((resolve) => (wake = resolve));
  return stopStack();
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    note(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
