/**
 * The Temporal server's configuration for the stack: the structure of the server's own
 * config/development-postgres12.yaml (and of the docker image's template), with the private PostgreSQL, loopback
 * ports below 32768 and no pprof or metrics listeners. Written as `<root>/config/<env>.yaml` and loaded with
 * `temporal-server --root <root> --config config --env <env> start`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const SERVER_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServerService = (typeof SERVER_SERVICES)[number];

export interface ServerPorts {
  frontendGrpc: number;
  frontendHttp: number;
  frontendMembership: number;
  historyGrpc: number;
  historyMembership: number;
  matchingGrpc: number;
  matchingMembership: number;
  workerGrpc: number;
  workerMembership: number;
}
export const SERVER_PORT_NAMES: readonly (keyof ServerPorts)[] = [
  'frontendGrpc',
  'frontendHttp',
  'frontendMembership',
  'historyGrpc',
  'historyMembership',
  'matchingGrpc',
  'matchingMembership',
  'workerGrpc',
  'workerMembership',
];

/** The two databases the server needs and the schema of each (schema/postgresql/v12/<schema>). */
export const DATABASES = [
  { name: 'temporal', schema: 'temporal', store: 'default' },
  { name: 'temporal_visibility', schema: 'visibility', store: 'visibility' },
] as const;

/** History shards: fixed for the life of a cluster; 4 as in the server's examples and the docker image's default. */
export const NUM_HISTORY_SHARDS = 4;

export interface ServerConfigInput {
  host: string;
  ports: ServerPorts;
  postgres: { host: string; port: number; user: string; password: string };
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

const q = (v: string) => JSON.stringify(v);

/** The configuration as YAML text. */
export function renderServerConfig(c: ServerConfigInput): string {
  const store = (database: string, maxConns: number) =>
    [
      `      sql:`,
      `        pluginName: postgres12`,
      `        databaseName: ${q(database)}`,
      `        connectAddr: ${q(`${c.postgres.host}:${c.postgres.port}`)}`,
      `        connectProtocol: tcp`,
      `        user: ${q(c.postgres.user)}`,
      `        password: ${q(c.postgres.password)}`,
      `        maxConns: ${maxConns}`,
      `        maxIdleConns: ${maxConns}`,
      `        maxConnLifetime: 1h`,
    ].join('\n');
  const service = (name: ServerService, grpc: number, membership: number, http?: number) =>
    [
      `  ${name}:`,
      `    rpc:`,
      `      grpcPort: ${grpc}`,
      `      membershipPort: ${membership}`,
      `      bindOnIP: ${q(c.host)}`,
      ...(http !== undefined ? [`      httpPort: ${http}`] : []),
    ].join('\n');
  const p = c.ports;
  return [
    "# Written by src/dev/stack (npm run stack, npm run test:stack). The password is the private cluster's own.",
    'log:',
    '  stdout: true',
    `  level: ${c.logLevel ?? 'warn'}`,
    'persistence:',
    '  defaultStore: default',
    '  visibilityStore: visibility',
    `  numHistoryShards: ${NUM_HISTORY_SHARDS}`,
    '  datastores:',
    '    default:',
    store('temporal', 20),
    '    visibility:',
    store('temporal_visibility', 10),
    'global:',
    '  membership:',
    '    maxJoinDuration: 30s',
    `    broadcastAddress: ${q(c.host)}`,
    'services:',
    service('frontend', p.frontendGrpc, p.frontendMembership, p.frontendHttp),
    service('history', p.historyGrpc, p.historyMembership),
    service('matching', p.matchingGrpc, p.matchingMembership),
    service('worker', p.workerGrpc, p.workerMembership),
    'clusterMetadata:',
    '  enableGlobalNamespace: false',
    '  failoverVersionIncrement: 10',
    '  masterClusterName: active',
    '  currentClusterName: active',
    '  clusterInformation:',
    '    active:',
    '      enabled: true',
    '      initialFailoverVersion: 1',
    '      rpcName: frontend',
    `      rpcAddress: ${q(`${c.host}:${p.frontendGrpc}`)}`,
    `      httpAddress: ${q(`${c.host}:${p.frontendHttp}`)}`,
    'dcRedirectionPolicy:',
    '  policy: noop',
    '',
  ].join('\n');
}

/** Writes `<root>/config/<env>.yaml` (mode 0600: it holds the database password). */
export function writeServerConfig(root: string, env: string, c: ServerConfigInput): string {
  const dir = path.join(root, 'config');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${env}.yaml`);
  writeFileSync(file, renderServerConfig(c), { mode: 0o600 });
  return file;
}
