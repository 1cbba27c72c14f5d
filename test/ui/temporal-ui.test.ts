/**
 * What an operator sees in the Temporal UI, checked in a real browser (playwright-core driving Debian's
 * Chromium, headless): the dev server with its UI, the LifeTime simulator and a worker run in this process;
 * one deployment completes (EmployeeBackoffice → Production), one waits at the conflict gate
 * (PayrollPortal → Production). The test reads the workflow list, filters it on the product's search
 * attributes, reads the summary and current details on the workflow page, and approves the gate through
 * the UI's "Send a Signal" form.
 *
 * Screenshots go to test-artifacts/ui/ (git-ignored). Needs /usr/bin/chromium (`apt-get install chromium`;
 * .ci/run installs it) or $CHROMIUM_PATH: without a browser the test fails, it is never skipped.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { connect, ExitCode, type CliContext, type Io } from '../../src/cli/common';
import { loadWorkerConfig } from '../../src/config';
import { freePort, startTemporalDevServer, type DevServer } from '../../src/dev/dev-server';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { deploy, type DeployFlags } from '../../src/starter';
import { createWorker } from '../../src/worker';
import { stateQuery, type DeployResult, type DeployState } from '../../src/workflows/messages';
import { installTestRuntime } from '../harness';

/** Debian's Chromium (CI installs it); CHROMIUM_PATH points elsewhere (another system's Chromium). */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_MS = 120_000;
/** Per test: several steps of up to STEP_MS each. */
const TEST_MS = 600_000;
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'ui');

/** The query an operator types to find deployments waiting at a conflict gate for Production. */
const WAITING_QUERY = 'LifeTimeGate = "conflicts" AND LifeTimeTarget = "Production"';
/** The product's search attributes shown as list columns. */
const COLUMNS = ['LifeTimeApplications', 'LifeTimeTarget', 'LifeTimeStatus', 'LifeTimeGate', 'LifeTimeOutcome'];

const stamp = Date.now().toString(36);
const completedId = `ui-test-${stamp}-employeebackoffice`;
const waitingId = `ui-test-${stamp}-payrollportal`;

let server: DevServer | undefined;
let sim: SimulatorHandle | undefined;
let connection: NativeConnection | undefined;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
let ctx: CliContext | undefined;
let browser: Browser | undefined;
let page: Page;
let uiUrl: string;
const output: string[] = [];
const io: Io = { out: (s) => output.push(s), err: (s) => output.push(s) };

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = STEP_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await probe().catch((err: unknown) => {
      last = err; // transient (e.g. the query before the first workflow task): try again
      return undefined;
    });
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function shot(name: string, fullPage = false): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  console.log(`screenshot: ${file}`);
  return file;
}

/** The text of a markdown block the UI renders in an iframe (summary, details, current details). */
async function frameText(frameId: string, waitFor: string | RegExp): Promise<string> {
  const body = page.frameLocator(`#${frameId}`).locator('body');
  await body.getByText(waitFor).first().waitFor();
  return body.innerText();
}

function workflowLink(id: string): Locator {
  return page.getByRole('link', { name: id, exact: true });
}

async function openUserMetadata(workflowId: string): Promise<void> {
  await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`, {
    waitUntil: 'domcontentloaded',
  });
  await page.getByText('User Metadata', { exact: true }).click();
  await page.waitForURL(/\/user-metadata/);
}

const flags = (app: string, id: string, wait: boolean): DeployFlags => ({
  app: [app],
  from: 'Development',
  to: 'Production',
  requestedBy: 'platform-team',
  notes: 'browser test of the Temporal UI',
  id,
  wait,
  pollMin: '0.2',
  pollMax: '1',
});

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: this browser test needs Debian's chromium package. ` +
        'Install it with `apt-get update && apt-get install -y chromium` (.ci/run installs it when missing).',
    );
  }
  rmSync(ARTIFACTS, { recursive: true, force: true });
  installTestRuntime();
  server = await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
  uiUrl = server.uiUrl;
  sim = await startSimulator({ port: 0, speed: 600, token: `ui-test-secret-${stamp}` });
  const env = {
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_UI_URL: server.uiUrl,
    LIFETIME_URL: sim.url,
    LIFETIME_TOKEN: sim.token,
    LIFETIME_DEPLOY_TASK_QUEUE: `ui-test-${stamp}`,
    LOG_LEVEL: 'WARN',
  };
  const cfg = loadWorkerConfig(env);
  connection = await NativeConnection.connect({ address: server.address });
  worker = await createWorker(cfg, connection);
  running = worker.run();
  ctx = await connect(env);

  // One deployment that completes (the real starter, so the static summary is set) …
  const code = await deploy(ctx, flags('EmployeeBackoffice', completedId, true), io, env);
  if (code !== ExitCode.Success)
    throw new Error(`EmployeeBackoffice deployment ended with exit code ${code}:\n${output.join('\n')}`);
  // … and one that stops at the conflict gate (seed data: PayrollPortal 1.2 needs a newer HRCore).
  await deploy(ctx, flags('PayrollPortal', waitingId, false), io, env);
  const handle = ctx.client.workflow.getHandle(waitingId);
  const atGate: DeployState = await until('the conflict gate', async () => {
    const s = await handle.query(stateQuery);
    return s.gate || s.outcome ? s : undefined;
  });
  if (atGate.gate?.kind !== 'conflicts')
    throw new Error(`PayrollPortal did not stop at the conflict gate: ${JSON.stringify(atGate)}`);
  // Visibility is eventually consistent: wait until both show up in list queries before the UI asks.
  for (const query of [
    `WorkflowId = "${completedId}" AND LifeTimeOutcome = "succeeded"`,
    `WorkflowId = "${waitingId}" AND ${WAITING_QUERY}`,
  ]) {
    await until(`visibility: ${query}`, async () => {
      for await (const _w of ctx!.client.workflow.list({ query })) return true;
      return undefined;
    });
  }

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 2240, height: 1080 } });
  page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.setDefaultNavigationTimeout(STEP_MS);
}, TEST_MS);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await ctx?.close().catch(() => undefined);
  if (worker) {
    worker.shutdown();
    await running?.catch(() => undefined);
  }
  await connection?.close().catch(() => undefined);
  await sim?.close().catch(() => undefined);
  await server?.stop();
}, 120_000);

describe('the Temporal UI (dev server) in a browser', () => {
  test(
    'the workflow list shows both deployments, with the product search attributes as columns',
    async () => {
      await page.goto(`${uiUrl}/namespaces/default/workflows`, { waitUntil: 'domcontentloaded' });
      await workflowLink(completedId).waitFor();
      await workflowLink(waitingId).waitFor();

      // "Configure Columns": add the LifeTime* search attributes; make room (Run ID, and Type: always the same).
      await page.getByTestId('workflows-summary-table-configuration-button').click();
      const column = async (name: string, action: 'add' | 'remove') => {
        await page.getByTestId(`orderable-list-item-${name}-${action}-button`).click();
        const undo = action === 'add' ? 'remove' : 'add';
        await page.getByTestId(`orderable-list-item-${name}-${undo}-button`).waitFor();
      };
      await column('Run ID', 'remove');
      await column('Type', 'remove');
      for (const c of COLUMNS) await column(c, 'add');
      await page.getByTestId('drawer-close-button').click();
      for (const c of COLUMNS) await page.getByRole('columnheader', { name: c }).waitFor();

      const waitingRow = page.getByRole('row').filter({ has: workflowLink(waitingId) });
      const completedRow = page.getByRole('row').filter({ has: workflowLink(completedId) });
      await waitingRow.getByText('conflicts', { exact: true }).waitFor();
      await completedRow.getByText('succeeded', { exact: true }).waitFor();
      const waitingText = await waitingRow.innerText();
      expect(waitingText).toMatch(/Running/i);
      expect(waitingText).toContain('PayrollPortal');
      expect(waitingText).toContain('Production');
      const completedText = await completedRow.innerText();
      expect(completedText).toMatch(/Completed/i);
      expect(completedText).toContain('EmployeeBackoffice');
      expect(completedText).toContain('finished_successful');
      await shot('01-workflow-list');
    },
    TEST_MS,
  );

  test(
    'a query on the search attributes finds the waiting deployment and not the completed one',
    async () => {
      await page.goto(`${uiUrl}/namespaces/default/workflows`, { waitUntil: 'domcontentloaded' });
      await workflowLink(completedId).waitFor();

      // The raw query box ("</>" next to "Add Filter"); the UI puts the query into the URL (?query=…).
      await page.getByTestId('toggle-manual-query').click();
      await page.getByTestId('workflow-manual-search-input').fill(WAITING_QUERY);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.waitForURL((u) => u.searchParams.get('query') !== null);
      await workflowLink(completedId).waitFor({ state: 'detached' });
      await workflowLink(waitingId).waitFor();

      const query = new URL(page.url()).searchParams.get('query') ?? '';
      expect(query.replace(/\s+/g, '')).toBe(WAITING_QUERY.replace(/\s+/g, ''));
      expect(
        await page
          .getByRole('row')
          .filter({ has: page.getByRole('link') })
          .count(),
      ).toBe(1);
      expect(await workflowLink(completedId).count()).toBe(0);
      await shot('02-filter-waiting-at-conflict-gate');

      // A query given in the URL (?query=…, as in the README): only the completed deployment.
      const filtered = `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent('LifeTimeOutcome = "succeeded"')}`;
      await page.goto(filtered, { waitUntil: 'domcontentloaded' });
      await workflowLink(completedId).waitFor();
      expect(await workflowLink(waitingId).count()).toBe(0);
    },
    TEST_MS,
  );

  test(
    "the waiting deployment's page shows the summary and the current details (how to decide)",
    async () => {
      await openUserMetadata(waitingId);
      const summary = await frameText('user-metadata-summary', 'Deploy PayrollPortal');
      expect(summary).toContain('Deploy PayrollPortal: Development → Production');
      const details = await frameText('user-metadata-details', 'Requested by');
      expect(details).toContain('Requested by platform-team');
      const current = await frameText('user-metadata-current-details', 'Decision needed');
      expect(current).toContain('Decision needed (conflicts gate)');
      expect(current).toContain('Producer Element Missing');
      expect(current).toMatch(/approve/);
      expect(current).toContain('Send a Signal');
      expect(current).toContain(`npx lifetime-deploy approve ${waitingId}`);
      // The LifeTime token is nowhere on the page (input, metadata, details).
      expect(await page.content()).not.toContain(sim!.token);
      expect(current).not.toContain(sim!.token);
      await shot('03-waiting-deployment-summary-and-current-details', true);

      // The completed deployment shows the static summary set by the starter.
      await openUserMetadata(completedId);
      expect(await frameText('user-metadata-summary', 'Deploy EmployeeBackoffice')).toContain(
        'Deploy EmployeeBackoffice: Development → Production',
      );
      // Current details keep the last state: the outcome.
      expect(await frameText('user-metadata-current-details', 'Outcome')).toMatch(/Outcome: succeeded/);
      await shot('04-completed-deployment-summary', true);
    },
    TEST_MS,
  );

  test(
    'approving through the UI\'s "Send a Signal" form finishes the deployment',
    async () => {
      await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(waitingId)}`, {
        waitUntil: 'domcontentloaded',
      });
      await page.getByRole('button', { name: 'More Actions' }).click();
      await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
      const dialog = page.getByRole('dialog').filter({ hasText: 'Send a Signal' });
      await dialog.waitFor();
      // The UI lists the workflow's signals (from its metadata query): approve, reject.
      await dialog.getByTestId('signal-select-button').click();
      await dialog.getByRole('option', { name: 'approve', exact: true }).click();
      const data = dialog.getByRole('textbox', { name: 'Data' });
      await data.click();
      await page.keyboard.insertText('{"by":"ui-operator"}');
      expect((await data.innerText()).trim()).toBe('{"by":"ui-operator"}');
      await shot('05-send-a-signal-form');
      const submit = dialog.getByRole('button', { name: 'Submit' });
      expect(await submit.isEnabled()).toBe(true);
      await submit.click();
      await dialog.waitFor({ state: 'hidden' });

      const handle = ctx!.client.workflow.getHandle(waitingId);
      const status = await until('the deployment to finish after the approval', async () => {
        const d = await handle.describe();
        return d.status.name === 'RUNNING' ? undefined : d.status.name;
      });
      expect(status).toBe('COMPLETED');
      const result = (await handle.result()) as DeployResult;
      expect(result.outcome).toBe('succeeded');
      expect(result.lifetimeStatus).toBe('finished_successful');
      expect(result.decisions).toEqual([
        expect.objectContaining({ decision: 'approve', by: 'ui-operator', gate: 'conflicts', applied: true }),
      ]);

      // The UI shows the end: completed, outcome in the current details, the signal with its input in the history.
      await openUserMetadata(waitingId);
      await page
        .getByText(/^completed$/i)
        .first()
        .waitFor();
      expect(await frameText('user-metadata-current-details', 'Outcome')).toMatch(/Outcome: succeeded/);
      await shot('06-approved-deployment-completed', true);
      await page.getByTestId('history-tab').click();
      const signaled = page.getByRole('row').filter({ hasText: 'Workflow Execution Signaled' });
      expect(await signaled.first().innerText()).toContain('approve');
      await signaled.first().click();
      const input = page.getByText('"ui-operator"').first();
      await input.waitFor();
      await input.scrollIntoViewIfNeeded();
      await shot('07-history-approve-signal-from-ui');
    },
    TEST_MS,
  );
});
