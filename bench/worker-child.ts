/**
 * The benchmark's worker process: the product's worker entry point (src/worker.ts `main()`), configured by the
 * environment the benchmark passes (TEMPORAL_ADDRESS, LIFETIME_URL, LIFETIME_TOKEN, LIFETIME_DEPLOY_TASK_QUEUE,
 * LOG_LEVEL, LOG_FORMAT). Running it as a child lets the benchmark read this process's own RSS and CPU.
 * Stops gracefully on SIGTERM, like `npm run worker`.
 */
import './hide-prebuilt-bundle';
import * as v8 from 'node:v8';
import { main } from '../src/worker';

// The SDK sizes its workflow cache from this limit; the benchmark reports it.
const heapLimitMB = Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
process.stderr.write(`${JSON.stringify({ level: 'INFO', message: 'bench worker heap limit', heapLimitMB })}\n`);

// Where the memory is: V8 heap (used, allocated) and memory outside it, every 2 s, for the benchmark's report.
const MB = 2 ** 20;
setInterval(() => {
  const m = process.memoryUsage();
  const memory = {
    rssMB: Math.round(m.rss / MB),
    heapUsedMB: Math.round(m.heapUsed / MB),
    heapTotalMB: Math.round(m.heapTotal / MB),
    externalMB: Math.round(m.external / MB),
  };
  process.stderr.write(`${JSON.stringify({ level: 'INFO', message: 'bench worker memory', ...memory })}\n`);
}, 2000).unref();

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench worker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
