/**
 * `npm run worker`: runs deployApplications and its activities on a task queue.
 * Configuration from the environment (see src/config.ts and the README); stops gracefully on SIGINT/SIGTERM.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  makeTelemetryFilterString,
  type LogEntry,
} from '@temporalio/worker';
import { createActivities } from './activities';
import { createNotifyActivities } from './activities/notify';
import { createVerifyActivities } from './activities/verify';
import { ConfigError, loadWorkerConfig, type WorkerConfig } from './config';
import { LifeTimeClient } from './lifetime';
import { checkLifeTime } from './lifetime-check';
import { AllowedSignersError, SshKeygenUnavailableError, Verifier, type AllowedSigners } from './signing';
import { ensureSearchAttributes } from './temporal-setup';

export const PREBUILT_BUNDLE = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

/** The prebuilt bundle is used only when it is newer than every workflow source file (never a stale bundle). */
export function prebuiltBundleIsFresh(): boolean {
  if (!existsSync(PREBUILT_BUNDLE)) return false;
  const built = statSync(PREBUILT_BUNDLE).mtimeMs;
  const dir = path.join(__dirname, 'workflows');
  if (!existsSync(dir)) return true; // installed without sources
  return readdirSync(dir).every((f) => statSync(path.join(dir, f)).mtimeMs <= built);
}

function installRuntime(cfg: WorkerConfig): void {
  const logger = new DefaultLogger(cfg.logLevel, (entry: LogEntry) => {
    const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    if (cfg.logFormat === 'json') {
      process.stderr.write(`${JSON.stringify({ time, level: entry.level, message: entry.message, ...entry.meta })}\n`);
    } else {
      const meta = entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta)}` : '';
      process.stderr.write(`${time} ${entry.level.padEnd(5)} ${entry.message}${meta}\n`);
    }
  });
  Runtime.install({
    logger,
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(cfg.metricsPort ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${cfg.metricsPort}` } } } : {}),
    },
  });
}

/** The runtime's logger, looked up when used (the verifier is made before the runtime is installed). */
const runtimeLog = {
  info: (message: string, meta?: Record<string, unknown>) => Runtime.instance().logger.info(message, meta),
  warn: (message: string, meta?: Record<string, unknown>) => Runtime.instance().logger.warn(message, meta),
  error: (message: string, meta?: Record<string, unknown>) => Runtime.instance().logger.error(message, meta),
};

/**
 * The allowed approvers, validated at start: a bad file (or no ssh-keygen to check it with) is a configuration
 * error. Returns the verifier and what it loaded, or the problem lines.
 */
export async function loadApprovers(
  cfg: WorkerConfig,
): Promise<{ verifier?: Verifier; approvers?: AllowedSigners } | { problems: string[] }> {
  if (!cfg.approversFile) return {};
  const verifier = new Verifier({ approversFile: cfg.approversFile, logger: runtimeLog });
  try {
    return { verifier, approvers: await verifier.load() };
  } catch (err) {
    if (err instanceof AllowedSignersError) return { problems: err.problems };
    if (err instanceof SshKeygenUnavailableError)
      return { problems: [`LIFETIME_DEPLOY_APPROVERS_FILE: ${err.message}`] };
    throw err;
  }
}

/** Builds (but does not run) a worker from a configuration. */
export async function createWorker(
  cfg: WorkerConfig,
  connection?: NativeConnection,
  verifier?: Verifier,
): Promise<Worker> {
  const conn = connection ?? (await NativeConnection.connect(cfg.temporal.connectionOptions));
  const namespace = cfg.temporal.namespace ?? 'default';
  const added = await ensureSearchAttributes(conn, namespace);
  if (added.length) Runtime.instance().logger.info('registered search attributes', { added });
  const lifetime = new LifeTimeClient(cfg.lifetime);
  const bundle = prebuiltBundleIsFresh()
    ? { workflowBundle: { codePath: PREBUILT_BUNDLE } }
    : { workflowsPath: require.resolve('./workflows') };
  return Worker.create({
    connection: conn,
    namespace,
    taskQueue: cfg.taskQueue,
    activities: {
      ...createActivities(lifetime),
      ...createNotifyActivities(cfg.notify),
      ...createVerifyActivities({ verifier, approversFile: cfg.approversFile, logger: runtimeLog }),
    },
    maxConcurrentActivityTaskExecutions: cfg.maxConcurrentActivities,
    maxConcurrentLocalActivityExecutions: cfg.maxConcurrentActivities,
    ...(cfg.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: cfg.maxCachedWorkflows } : {}),
    maxActivitiesPerSecond: cfg.rateLimitPerSecond,
    ...bundle,
  });
}

/**
 * LifeTime did not answer at start: say so loudly, and check again (every 30 s) until it does; deployments retry
 * meanwhile and show why. A wrong setting found later is reported the same way.
 */
function watchUnreachable(cfg: WorkerConfig, first: string): void {
  const log = Runtime.instance().logger;
  log.error(`${first}; the worker runs anyway and checks again every 30 s (deployments retry meanwhile)`);
  const timer = setInterval(() => {
    void checkLifeTime(cfg.lifetime).then((r) => {
      if (r.ok) {
        log.info('LifeTime reachable again, token accepted', { lifetime: cfg.lifetime.baseUrl });
        clearInterval(timer);
      } else log.error(`${r.message}; checking again in 30 s`);
    });
  }, 30_000);
  timer.unref();
}

export async function main(env = process.env): Promise<number> {
  let cfg: WorkerConfig;
  try {
    cfg = loadWorkerConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`lifetime-deploy worker: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const approvers = await loadApprovers(cfg);
  if ('problems' in approvers) {
    process.stderr.write(`lifetime-deploy worker: invalid configuration:\n  ${approvers.problems.join('\n  ')}\n`);
    return 2;
  }
  installRuntime(cfg);
  const log = Runtime.instance().logger;
  if (approvers.approvers) {
    const { file, entries, principals, warnings } = approvers.approvers;
    log.info('allowed approvers loaded', { file, keys: entries.length, principals: principals.length });
    for (const warning of warnings) log.warn('allowed approvers file', { warning });
  }
  const check = await checkLifeTime(cfg.lifetime);
  if (!check.ok && check.kind === 'config') {
    process.stderr.write(`lifetime-deploy worker: ${check.message}\n`);
    return 2;
  }
  if (check.ok)
    log.info('LifeTime reachable, token accepted', {
      lifetime: cfg.lifetime.baseUrl,
      environments: check.environments,
    });
  else watchUnreachable(cfg, check.message);
  let worker: Worker;
  try {
    worker = await createWorker(cfg, undefined, approvers.verifier);
  } catch (err) {
    process.stderr.write(
      `lifetime-deploy worker: cannot start: ${(err as Error).message} ` +
        `(Temporal at ${cfg.temporal.connectionOptions.address ?? 'localhost:7233'})\n`,
    );
    return 3;
  }
  log.info('worker started', {
    taskQueue: cfg.taskQueue,
    namespace: cfg.temporal.namespace ?? 'default',
    lifetime: cfg.lifetime.baseUrl,
    prebuiltBundle: prebuiltBundleIsFresh(),
  });
  log.info(cfg.notify.channels.length ? 'notifications on' : 'notifications off: no channel configured', {
    ...cfg.notify.toJSON(), // channel names, reminder interval and UI URL; never a channel URL or the secret
  });
  await worker.run(); // resolves after SIGINT/SIGTERM and a graceful shutdown
  log.info('worker stopped');
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`lifetime-deploy worker: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
