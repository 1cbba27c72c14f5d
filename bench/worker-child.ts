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

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench worker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
