/**
 * Process configuration: one zod schema per process, read from the environment by a pure function.
 * A bad or missing setting gives one error that names every variable at fault. Secrets are read here and
 * handed to the LifeTime client only; `toJSON` redacts them.
 *
 * The Temporal connection (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
 * TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE) comes from @temporalio/envconfig.
 */
import { readFileSync } from 'node:fs';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import { readNotifySettings, type NotifySettings } from './notify/config';
import { DEFAULT_TASK_QUEUE } from './workflows/messages';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const intVar = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `${name} must be a whole number` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `${name} must be at least ${min}` })
        .max(max, { error: `${name} must be at most ${max}` }),
    );

const urlVar = (name: string, allowBareHost: boolean) =>
  z.string().refine(
    (s) => {
      if (/\s/.test(s)) return false;
      const candidate = allowBareHost && !/^[a-z]+:\/\//i.test(s) ? `https://${s}` : s;
      try {
        const u = new URL(candidate);
        // WHATWG URL accepts host names like `ht!tp` (from `ht!tp://x`); require a real host name or IP literal.
        const host = /^(\[[0-9a-f:.]+\]|[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?)$/i.test(u.hostname);
        return (u.protocol === 'http:' || u.protocol === 'https:') && host;
      } catch {
        return false;
      }
    },
    { error: (i) => `${name} must be an http(s) URL or a host name (got ${JSON.stringify(i.input)})` },
  );

/** What the worker reads from the environment. */
export const WorkerEnv = z.object({
  LIFETIME_URL: urlVar('LIFETIME_URL', true).optional(),
  LIFETIME_TOKEN: z.string().min(1).optional(),
  LIFETIME_TOKEN_FILE: z.string().min(1).optional(),
  LIFETIME_CA_FILE: z.string().min(1).optional(),
  LIFETIME_PROXY: urlVar('LIFETIME_PROXY', false).optional(),
  LIFETIME_TIMEOUT_MS: intVar('LIFETIME_TIMEOUT_MS', 100, 600_000).optional(),
  LIFETIME_DEPLOY_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  LIFETIME_DEPLOY_MAX_ACTIVITIES: intVar('LIFETIME_DEPLOY_MAX_ACTIVITIES', 1, 10_000).optional(),
  LIFETIME_DEPLOY_MAX_CACHED_WORKFLOWS: intVar('LIFETIME_DEPLOY_MAX_CACHED_WORKFLOWS', 0, 100_000).optional(),
  LIFETIME_DEPLOY_RATE_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?$/, { error: 'LIFETIME_DEPLOY_RATE_LIMIT must be a number of requests per second' })
    .transform(Number)
    .optional(),
  LIFETIME_DEPLOY_METRICS_PORT: intVar('LIFETIME_DEPLOY_METRICS_PORT', 1, 65_535).optional(),
  /** The allowed approvers (OpenSSH allowed_signers format); its lines are validated at start by the worker. */
  LIFETIME_DEPLOY_APPROVERS_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z
    .enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'], {
      error: 'LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR',
    })
    .default('INFO'),
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'LOG_FORMAT must be json or pretty' }).default('json'),
});

export interface LifeTimeSettings {
  baseUrl: string;
  token: string;
  caFile?: string;
  proxy?: string;
  timeoutMs?: number;
}

export interface WorkerConfig {
  lifetime: LifeTimeSettings;
  temporal: ClientConnectConfig;
  taskQueue: string;
  maxConcurrentActivities?: number;
  /** Workflows kept in the worker's sticky cache (SDK default: sized from the V8 heap limit). */
  maxCachedWorkflows?: number;
  rateLimitPerSecond?: number;
  metricsPort?: number;
  /** The allowed-approvers file that signed decisions are verified against. */
  approversFile?: string;
  logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  logFormat: 'json' | 'pretty';
  /** Notification channels, UI link and reminders (src/notify/config.ts); its URLs and secret are not enumerable. */
  notify: NotifySettings;
  toJSON(): unknown;
}

function formatIssues(error: z.ZodError, env: Record<string, string | undefined>): string {
  return error.issues
    .map((i) => {
      const name = String(i.path[0] ?? '?');
      const secret = /TOKEN|KEY|PASSWORD/.test(name);
      const value = env[name];
      return `${name}: ${i.message}${value !== undefined && !secret && !i.message.includes('got') ? ` (got ${JSON.stringify(value)})` : ''}`;
    })
    .join('\n  ');
}

/** LifeTime settings (URL + token) from the environment; throws ConfigError naming each bad variable. */
export function loadLifeTimeSettings(env: Record<string, string | undefined> = process.env): LifeTimeSettings {
  return loadWorkerConfig(env, { skipTemporal: true }).lifetime;
}

export function loadWorkerConfig(
  env: Record<string, string | undefined> = process.env,
  opts: { skipTemporal?: boolean } = {},
): WorkerConfig {
  const parsed = WorkerEnv.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) problems.push(formatIssues(parsed.error, env));
  const e = parsed.success ? parsed.data : undefined;
  if (!env.LIFETIME_URL)
    problems.push('LIFETIME_URL: required (the LifeTime address, e.g. https://lifetime.example.com)');
  if (!env.LIFETIME_TOKEN && !env.LIFETIME_TOKEN_FILE) {
    problems.push(
      'LIFETIME_TOKEN or LIFETIME_TOKEN_FILE: required (the LifeTime service account token, or a file holding it)',
    );
  }
  let token = env.LIFETIME_TOKEN ?? '';
  if (!token && env.LIFETIME_TOKEN_FILE) {
    try {
      token = readFileSync(env.LIFETIME_TOKEN_FILE, 'utf8').trim();
      if (!token) problems.push(`LIFETIME_TOKEN_FILE: the file ${env.LIFETIME_TOKEN_FILE} is empty`);
    } catch (err) {
      problems.push(
        `LIFETIME_TOKEN_FILE: cannot read ${env.LIFETIME_TOKEN_FILE} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  for (const name of ['LIFETIME_CA_FILE', 'LIFETIME_DEPLOY_APPROVERS_FILE'] as const) {
    const file = env[name];
    if (!file) continue;
    try {
      readFileSync(file);
    } catch (err) {
      problems.push(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const notify = readNotifySettings(env);
  problems.push(...notify.problems);
  let temporal: ClientConnectConfig = { connectionOptions: {} };
  if (!opts.skipTemporal) {
    try {
      const overrideEnvVars = Object.fromEntries(
        Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined),
      );
      temporal = loadClientConnectConfig({ overrideEnvVars });
    } catch (err) {
      problems.push(
        `Temporal connection (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_PROFILE, …): ${(err as Error).message}`,
      );
    }
  }
  if (problems.length || !e) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);

  const lifetime: LifeTimeSettings = {
    baseUrl: e.LIFETIME_URL!,
    token,
    caFile: e.LIFETIME_CA_FILE,
    proxy: e.LIFETIME_PROXY,
    timeoutMs: e.LIFETIME_TIMEOUT_MS,
  };
  Object.defineProperty(lifetime, 'token', { enumerable: false, value: token });
  return {
    lifetime,
    temporal,
    taskQueue: e.LIFETIME_DEPLOY_TASK_QUEUE,
    maxConcurrentActivities: e.LIFETIME_DEPLOY_MAX_ACTIVITIES,
    maxCachedWorkflows: e.LIFETIME_DEPLOY_MAX_CACHED_WORKFLOWS,
    rateLimitPerSecond: e.LIFETIME_DEPLOY_RATE_LIMIT,
    metricsPort: e.LIFETIME_DEPLOY_METRICS_PORT,
    approversFile: e.LIFETIME_DEPLOY_APPROVERS_FILE,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    notify: notify.settings,
    toJSON() {
      return {
        lifetime: { ...lifetime, token: '[redacted]' },
        temporal: { address: temporal.connectionOptions.address, namespace: temporal.namespace },
        taskQueue: this.taskQueue,
        notify: notify.settings.toJSON(),
      };
    },
  };
}
