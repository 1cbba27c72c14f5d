/**
 * The stack itself (src/dev/stack): the server docker-compose.yml pins, both databases migrated to the newest
 * schema the release ships (and the schema steps safe to run again, as the compose file runs them on every up),
 * loopback ports below 32768, the namespace and every search attribute of the product
 * with its type, and visibility on PostgreSQL answering the product's filters (the CLI's `list`) for a deployment
 * that ran through it.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { ExitCode } from '../../src/cli/common';
import {
  DATABASES,
  LOW_PORT_LIMIT,
  NAMESPACE_RETENTION_HOURS,
  schemaSteps,
  serving,
  TEMPORAL_SERVER_VERSION,
  type TemporalOnPostgres,
} from '../../src/dev/stack';
import { indexedValueType } from '../../src/search-attribute-types';
import { allSearchAttributeKeys } from '../../src/workflows/search-attributes';
import {
  cleanEnv,
  eventually,
  expectExit,
  killAll,
  runCli,
  startSimulatorProcess,
  startWorkerProcess,
  uniqueTaskQueue,
} from '../e2e/processes';
import { deployRequest, resultThroughOutages, startDeployment, useTemporalOnPostgres } from './helpers';

let stack: TemporalOnPostgres;
let client: Client;
const file = useTemporalOnPostgres((s) => ({ stack, client } = s));
afterEach(() => killAll(), 60_000);

/** One value from the private PostgreSQL, through its own psql (the password in PGPASSWORD, not on the line). */
function psql(database: string, sql: string): string {
  const pg = stack.postgres;
  const r = spawnSync(
    path.join(pg.binDir, 'psql'),
    ['-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', database, '-Atc', sql],
    {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: pg.password },
    },
  );
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout.trim();
}

const newestVersion = (dir: string) =>
  readdirSync(dir)
    .map((d) => d.replace(/^v/, ''))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .at(-1);

test('runs the pinned server on PostgreSQL, both databases migrated to the newest schema of the release', async () => {
  const info = await client.connection.workflowService.getSystemInfo({});
  expect(info.serverVersion).toBe(TEMPORAL_SERVER_VERSION);
  expect(stack.binaries.version).toBe(TEMPORAL_SERVER_VERSION);
  for (const db of DATABASES) {
    const expected = newestVersion(path.join(stack.binaries.postgresSchemaDir, db.schema, 'versioned'));
    expect(psql(db.name, 'select curr_version from schema_version')).toBe(expected);
  }
  // The server's state is in PostgreSQL: its cluster membership and the namespace.
  expect(Number(psql('temporal', 'select count(*) from namespaces'))).toBeGreaterThanOrEqual(2);
  expect(Number(psql('temporal', 'select count(*) from cluster_membership'))).toBeGreaterThan(0);
});

test("the schema steps run again on the migrated databases (as the compose file's temporal-schema job does on every up): no change", async () => {
  for (const db of DATABASES) {
    const before = psql(db.name, 'select curr_version from schema_version');
    for (const step of schemaSteps(stack.binaries.postgresSchemaDir, db.schema)) {
      const r = spawnSync(stack.binaries.sqlTool, ['--db', db.name, ...step], {
        encoding: 'utf8',
        env: stack.postgres.sqlToolEnv(db.name),
      });
      expect({ step: `${db.name} ${step[0]}`, status: r.status }).toEqual({ step: `${db.name} ${step[0]}`, status: 0 });
    }
    expect(psql(db.name, 'select curr_version from schema_version')).toBe(before);
  }
  expect(await serving(stack.address, stack.namespace)).toBe(true);
  expect(Number(psql('temporal', 'select count(*) from namespaces'))).toBeGreaterThanOrEqual(2);
});

test('listens on loopback ports below 32768 only', () => {
  const ports = [stack.postgres.port, ...Object.values(stack.ports)];
  expect(ports.filter((p) => p >= LOW_PORT_LIMIT)).toEqual([]);
  expect(new Set(ports).size).toBe(ports.length);
  expect(stack.address).toBe(`127.0.0.1:${stack.ports.frontendGrpc}`);
  const membership = psql('temporal', 'select distinct rpc_port from cluster_membership order by 1')
    .split('\n')
    .map(Number);
  expect(membership.length).toBeGreaterThan(0);
  expect(membership.every((p) => Object.values(stack.ports).includes(p))).toBe(true);
});

test('the namespace and every search attribute of the product, with its type', async () => {
  const ns = await client.connection.workflowService.describeNamespace({ namespace: stack.namespace });
  expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBe(NAMESPACE_RETENTION_HOURS * 3600);
  const listed = await client.connection.operatorService.listSearchAttributes({ namespace: stack.namespace });
  const custom = listed.customAttributes ?? {};
  expect(allSearchAttributeKeys.filter((k) => custom[k.name] !== indexedValueType(k.type))).toEqual([]);
});

test('a deployment through the stack; visibility on PostgreSQL answers the CLI list filters', async () => {
  const sim = await startSimulatorProcess({ speed: 600 });
  const taskQueue = uniqueTaskQueue('stack');
  await startWorkerProcess({ temporalAddress: stack.address, lifetimeUrl: sim.url, token: sim.token, taskQueue });
  const id = `stack-harness-${Date.now().toString(36)}`;
  const handle = await startDeployment(client, taskQueue, id, deployRequest('EmployeeBackoffice'));
  const result = await resultThroughOutages(handle);
  expect(result.outcome).toBe('succeeded');
  expect(await sim.creates()).toBe(1);

  const cliEnv = cleanEnv({ TEMPORAL_ADDRESS: stack.address, LIFETIME_DEPLOY_TASK_QUEUE: taskQueue });
  const row = await eventually(
    async () => {
      const r = await runCli(['list', '--app', 'EmployeeBackoffice', '--target', 'Production', '--json'], cliEnv);
      expectExit(r, ExitCode.Success);
      const rows = JSON.parse(r.stdout) as { workflowId: string; outcome?: string; lifetimeStatus?: string }[];
      return rows.find((x) => x.workflowId === id && x.outcome === 'succeeded');
    },
    'the CLI lists the deployment with its outcome',
    30_000,
  );
  expect(row).toEqual(expect.objectContaining({ lifetimeStatus: 'finished_successful', outcome: 'succeeded' }));
  const count = await client.workflow.count(
    `LifeTimeDeploymentKey = "${result.deploymentKey}" AND LifeTimeOutcome = "succeeded" AND LifeTimeApplications = "EmployeeBackoffice"`,
  );
  expect(count.count).toBe(1);
});

test('stops everything it started: no process, no listening port, no folder left', async () => {
  await file.tearDownAndCheck();
});
