/**
 * `npm run demo`: the whole job end to end on embedded defaults.
 *   1. Temporal dev server with its UI (state in .demo/; or TEMPORAL_ADDRESS when set),
 *   2. the LifeTime simulator (seed data, time sped up), 3. a worker,
 *   4. EmployeeBackoffice Development → Production with live progress,
 *   5. PayrollPortal → Production, which stops at a conflict gate; shows how to approve; approves it
 *      (interactive terminals wait for you: approve from the CLI, `npm run temporal -- workflow signal` or the UI).
 * Leaves no processes behind unless --keep.
 */
import * as path from 'node:path';
import * as readline from 'node:readline';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { connect, ExitCode, type CliContext, type Io } from '../src/cli/common';
import { decide } from '../src/cli/operator';
import { loadWorkerConfig } from '../src/config';
import { startTemporalDevServer, type DevServer } from '../src/dev/dev-server';
import { PROJECT_ROOT } from '../src/dev/temporal-binaries';
import { startSimulator } from '../src/simulator';
import { deploy } from '../src/starter';
import { createWorker } from '../src/worker';
import { stateQuery } from '../src/workflows/messages';

const args = new Set(process.argv.slice(2));
const keep = args.has('--keep');
// --interactive: wait for a person's decision even without a terminal (the e2e test answers with the printed hints).
const interactive = (process.stdin.isTTY || args.has('--interactive')) && !args.has('--auto');
const speed = Number(process.env.DEMO_SPEED ?? 40);

const say = (s = '') => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
/** The demo tells one story on one stream: banners, progress and results all on stdout (redirect it whole). */
const demoIo: Io = { out: (s) => say(s), err: (s) => say(s) };
const banner = (s: string) => say(`\n━━ ${s} ${'━'.repeat(Math.max(0, 70 - s.length))}`);

async function waitForGate(ctx: CliContext, workflowId: string): Promise<void> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  for (;;) {
    const s = await handle.query(stateQuery).catch(() => undefined);
    if (s?.gate) return;
    if (s?.outcome) throw new Error(`deployment ended (${s.outcome}) before reaching the gate`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function gateClosed(ctx: CliContext, workflowId: string): Promise<void> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  for (;;) {
    const s = await handle.query(stateQuery).catch(() => undefined);
    if (!s?.gate) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function enterPressed(): { promise: Promise<void>; close: () => void } {
  const rl = readline.createInterface({ input: process.stdin });
  return { promise: new Promise<void>((resolve) => rl.once('line', () => resolve())), close: () => rl.close() };
}

async function main(): Promise<number> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    banner('lifetime-deploy demo');
    let address = process.env.TEMPORAL_ADDRESS;
    let uiUrl = process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233';
    let server: DevServer | undefined;
    if (!address) {
      say('Starting the Temporal dev server (state in .demo/temporal.db) …');
      server = await startTemporalDevServer({ dbFile: path.join(PROJECT_ROOT, '.demo', 'temporal.db') });
      cleanups.push(() => server!.stop());
      address = server.address;
      uiUrl = server.uiUrl;
    }
    say(`Temporal:        ${address}`);
    say(`Temporal UI:     ${uiUrl}`);

    const sim = await startSimulator({ port: 0, speed });
    cleanups.push(() => sim.close());
    say(`LifeTime (simulated, ${speed}× speed): ${sim.url}`);

    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_UI_URL: uiUrl,
      LIFETIME_URL: sim.url,
      LIFETIME_TOKEN: sim.token,
    };
    const cfg = loadWorkerConfig(env);
    const worker = await createWorker(cfg);
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    say(`Worker:          task queue ${cfg.taskQueue}`);

    const ctx = await connect(env);
    cleanups.push(() => ctx.close());
    const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);

    banner('1. EmployeeBackoffice: Development → Production');
    const first = await deploy(
      ctx,
      {
        app: ['EmployeeBackoffice'],
        from: 'Development',
        to: 'Production',
        requestedBy: 'platform-team',
        notes: 'demo: seed deployment',
        id: `demo-${stamp}-seed`,
        wait: true,
      },
      demoIo,
      env,
    );
    if (first !== ExitCode.Success) throw new Error(`the seed deployment ended with exit code ${first}`);

    banner('2. PayrollPortal → Production (it needs a newer HRCore: conflict)');
    const id = `demo-${stamp}-conflict`;
    const second = deploy(
      ctx,
      {
        app: ['PayrollPortal'],
        from: 'Development',
        to: 'Production',
        requestedBy: 'platform-team',
        notes: 'demo: conflict gate',
        id,
        wait: true,
      },
      demoIo,
      env,
    );
    await waitForGate(ctx, id);
    await new Promise((r) => setTimeout(r, 1500)); // let the progress lines print
    say('');
    say('The deployment is paused at the conflict gate. Approve it in any of these ways:');
    say(`  • CLI:          TEMPORAL_ADDRESS=${address} npx lifetime-deploy approve ${id} --by you`);
    say(
      `  • Temporal CLI: npm run temporal -- workflow signal --address ${address} --workflow-id ${id} --name approve --input '{"by":"you"}'`,
    );
    say(
      `  • Temporal UI:  ${uiUrl}/namespaces/default/workflows/${id} → "Send a Signal", name approve, input {"by":"you"}`,
    );
    if (interactive) {
      say('\nWaiting for your decision (or press Enter to approve as demo-operator) …');
      const enter = enterPressed();
      await Promise.race([enter.promise, gateClosed(ctx, id)]);
      enter.close();
    } else {
      await new Promise((r) => setTimeout(r, 1000));
    }
    const still = await ctx.client.workflow.getHandle(id).query(stateQuery);
    if (still.gate) await decide(ctx, 'approve', id, { by: 'demo-operator', reason: 'approved by the demo' }, demoIo);
    const code = await second;

    banner('Done');
    say(`Both deployments are in the Temporal UI: ${uiUrl}/namespaces/default/workflows`);
    say(
      `Simulator plans: ${sim
        .plans()
        .map((p) => `${p.key.slice(0, 8)} ${p.status}`)
        .join(', ')}`,
    );
    if (keep) {
      say('\n--keep: servers stay up for inspection; press Ctrl-C to stop them.');
      await new Promise<void>(() => undefined);
    }
    return code;
  } finally {
    if (!keep) await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
