/** The scale part of REPORT.md: the table, the 500-deployment target and why it is met or missed. */
import { f, table, type Verdict } from './report-util';
import type { ScaleLevel } from './scale';

export function scaleVerdict(levels: ScaleLevel[] | undefined): Verdict {
  const l = levels?.find((x) => x.n === 500 && !x.heapMb && x.cache === undefined);
  const target = '500 concurrent deployments on one worker: peak RSS ≤ 600 MB, timer lag p99 ≤ 1 s';
  if (!l || l.error) return { target, measured: l?.error ?? 'not run in this mode', verdict: '–' };
  const rss = l.worker.hwmMB;
  const lag = l.fireLagMs.p99;
  const misses: string[] = [];
  if (rss > 600) misses.push(`RSS ${f(rss)} MB is ${f(rss - 600)} MB over`);
  if (lag === null || lag > 1000) misses.push(`timer lag p99 ${f(lag, 0)} ms is ${f((lag ?? 0) - 1000, 0)} ms over`);
  return {
    target,
    measured: `peak RSS ${f(rss)} MB; timer lag p99 ${f(lag, 0)} ms (poll start lag p99 ${f(l.pollLagMs.p99, 0)} ms) at speed ${l.speed}`,
    verdict: misses.length ? `**missed**: ${misses.join('; ')}` : 'met',
  };
}

const levelName = (l: ScaleLevel): string => {
  const parts = [
    ...(l.heapMb ? [`worker heap ${l.heapMb} MB`] : []),
    ...(l.cache !== undefined ? [`cache ${l.cache}`] : []),
  ];
  return parts.length ? `${l.n} (${parts.join(', ')})` : String(l.n);
};

export function part3(levels: ScaleLevel[] | undefined, heapLimitMB: number, cores: number): string {
  if (!levels?.length) return '_Not run._';
  const l0 = levels[0]!;
  return [
    `Every plan lasts ${l0.durationLtMinutes} min LifeTime at speed ${l0.speed} (${f((l0.durationLtMinutes * 60) / l0.speed)} s wall); ` +
      `polling = product defaults ÷ speed (${l0.polling.firstPollSeconds} / ${l0.polling.minIntervalSeconds} / ${l0.polling.maxIntervalSeconds} s). ` +
      `At speed ${l0.speed} the LifeTime and Temporal load of N deployments equals that of about ${l0.speed}×N real-time ones.`,
    '',
    table(
      [
        'N',
        'starts (s)',
        'makespan (s)',
        'done/min',
        'failed',
        'timer lag p50 / p99 (ms)',
        'poll start lag p50 / p99 (ms)',
        'latency p50 / p95 (LT s)',
        'worker peak RSS (MB)',
        'at peak: V8 heap used / allocated, external (MB)',
        'prebuilt bundle',
        'worker CPU mean / peak (% core)',
        'dev server CPU mean (% core)',
        'LifeTime req/s',
        'activity retries / failures / WFT failures (sampled)',
        'events/deployment p50',
      ],
      levels.map((l) =>
        l.error
          ? [levelName(l), l.error, '', '', '', '', '', '', '', '', '', '', '', '', '', '']
          : [
              levelName(l),
              f(l.startSeconds),
              f(l.makespanSeconds),
              f(l.throughputPerMinute),
              `${l.failed}${l.timedOut ? ' (timed out)' : ''}${l.workerExit ? ' (worker died)' : ''}`,
              `${f(l.fireLagMs.p50, 0)} / ${f(l.fireLagMs.p99, 0)}`,
              `${f(l.pollLagMs.p50, 0)} / ${f(l.pollLagMs.p99, 0)}`,
              `${f(l.latencyS.p50)} / ${f(l.latencyS.p95)}`,
              f(l.worker.hwmMB),
              l.workerMemory
                ? `${l.workerMemory.heapUsedMB} / ${l.workerMemory.heapTotalMB}, ${l.workerMemory.externalMB}`
                : '–',
              l.prebuiltBundle === undefined ? '–' : l.prebuiltBundle ? 'yes' : 'no (bundled at start)',
              `${f(l.worker.meanCpuPct, 0)} / ${f(l.worker.peakCpuPct, 0)}`,
              f(l.devServer.meanCpuPct, 0),
              f(l.requests.perSecond),
              `${l.activityRetries} / ${l.activityFailures} / ${l.workflowTaskFailures} (${l.sampledHistories})`,
              f(l.eventsPerDeployment.p50, 0),
            ],
      ),
    ),
    '',
    scaleWhy(levels, heapLimitMB, cores),
    '',
    ...levels.flatMap((l) =>
      l.workerLog?.error || l.workerLog?.warn
        ? [
            `- ${levelName(l)}: worker log ${l.workerLog.warn} WARN / ${l.workerLog.error} ERROR lines; last: ${l.workerLog.recent.slice(-3).join(' · ')}`,
          ]
        : [],
    ),
  ].join('\n');
}

/** The SDK's default workflow cache size for a V8 heap limit (worker-options.d.ts, reuseV8Context = true). */
const defaultCache = (heapMB: number): number => Math.max(Math.floor(Math.max(heapMB - 200, 0) * (600 / 1024)), 10);

function scaleWhy(levels: ScaleLevel[], heapLimitMB: number, cores: number): string {
  const plain = levels
    .filter((l) => !l.heapMb && l.cache === undefined && !l.error && l.worker)
    .sort((a, b) => a.n - b.n);
  const out: string[] = ['Why:', ''];
  if (plain.length >= 2) {
    const a = plain[0]!;
    const b = plain[plain.length - 1]!;
    const perDeployment = (b.worker.hwmMB - a.worker.hwmMB) / (b.n - a.n);
    out.push(
      `- Memory: peak RSS grows by about ${f(perDeployment, 2)} MB per concurrent deployment (${a.n} → ${b.n}: ` +
        `${f(a.worker.hwmMB)} → ${f(b.worker.hwmMB)} MB). The worker keeps every running workflow in its sticky cache: ` +
        `\`maxCachedWorkflows\` defaults to about 600 workflows per GB of V8 heap limit, here ` +
        `${defaultCache(b.workerHeapLimitMB ?? heapLimitMB)} (heap limit ${b.workerHeapLimitMB ?? heapLimitMB} MB), so nothing is evicted up to that many concurrent deployments and RSS follows N.`,
    );
    for (const l of plain.filter((x) => x.workerMemory)) {
      const m = l.workerMemory!;
      out.push(
        `  At N=${l.n}, when RSS peaked (sampled ${m.rssMB} MB): the main thread's V8 heap held ${m.heapUsedMB} MB used of ` +
          `${m.heapTotalMB} MB allocated, ${m.externalMB} MB external, and ${Math.max(0, m.rssMB - m.heapTotalMB - m.externalMB)} MB ` +
          "were outside both: above all the V8 heap of the SDK's workflow thread, where the cached workflows live " +
          '(`process.memoryUsage()` reports the main thread only), then the native core, code and thread stacks.',
      );
    }
  }
  for (const l of levels.filter((x) => x.heapMb && x.cache === undefined && !x.error && x.worker)) {
    out.push(
      `- With the worker's V8 heap limited to ${l.heapMb} MB (V8 heap limit ${f(l.workerHeapLimitMB, 0)} MB, cache ≈ ${l.workerHeapLimitMB ? defaultCache(l.workerHeapLimitMB) : '–'} workflows), ` +
        `${l.n} deployments peaked at ${f(l.worker.hwmMB)} MB RSS, but evicted workflows are replayed from history on ` +
        `every task: ${l.workflowTaskFailures} workflow-task failures/timeouts in ${l.sampledHistories} sampled histories, ` +
        `poll start lag p99 ${f((l.pollLagMs.p99 ?? 0) / 1000, 1)} s, makespan ${f(l.makespanSeconds, 0)} s. A heap limit alone is no fix.`,
    );
  }
  for (const l of levels.filter((x) => x.cache !== undefined && !x.error && x.worker)) {
    const base = plain.find((x) => x.n === l.n);
    const vs = (v: string, b: string | undefined): string => (base && b !== undefined ? `${v} (default: ${b})` : v);
    const costs =
      `worker CPU mean ${vs(`${f(l.worker.meanCpuPct, 0)} %`, base && `${f(base.worker.meanCpuPct, 0)} %`)}, ` +
      `poll start lag p99 ${vs(`${f(l.pollLagMs.p99, 0)} ms`, base && `${f(base.pollLagMs.p99, 0)} ms`)}, ` +
      `${l.workflowTaskFailures} workflow-task failures/timeouts in ${l.sampledHistories} sampled histories, ` +
      `makespan ${vs(`${f(l.makespanSeconds, 0)} s`, base && `${f(base.makespanSeconds, 0)} s`)}, failed ${l.failed}`;
    const setting =
      `\`LIFETIME_DEPLOY_MAX_CACHED_WORKFLOWS=${l.cache}\`` +
      (l.heapMb ? ` with \`NODE_OPTIONS=--max-old-space-size=${l.heapMb}\`` : '');
    const rss = `peak RSS ${vs(`${f(l.worker.hwmMB)} MB`, base && `${f(base.worker.hwmMB)} MB`)}`;
    out.push(
      l.cache! >= l.n
        ? `- ${setting} (${l.n} deployments, nothing evicted): ${rss}. The smaller heap makes V8 collect garbage ` +
            `sooner, and the cache keeps every running deployment, so nothing is replayed: ${costs}.`
        : `- ${setting} (${l.n} deployments, ${l.n - l.cache!} not cached at any time): ${rss}. A deployment that ` +
            `is not in the cache is replayed from its history at its next workflow task, which costs CPU and ` +
            `delays polls: ${costs}.`,
    );
  }
  const at500 = levels.filter((x) => x.n === 500 && !x.error && x.worker && !x.workerExit);
  const ok = at500.filter((x) => x.failed === 0 && x.workflowTaskFailures === 0);
  const lowest = [...at500].sort((a, b) => a.worker.hwmMB - b.worker.hwmMB)[0];
  const lowestOk = [...ok].sort((a, b) => a.worker.hwmMB - b.worker.hwmMB)[0];
  if (lowest && lowestOk && lowest.worker.hwmMB <= 600 && lowest !== lowestOk) {
    out.push(
      `- So at 500 deployments on this machine the lowest RSS without replays or failed workflow tasks is ` +
        `${f(lowestOk.worker.hwmMB)} MB (${levelName(lowestOk)}); getting under 600 MB (${levelName(lowest)}: ` +
        `${f(lowest.worker.hwmMB)} MB) takes evicting running deployments, paid with ` +
        `${lowest.workflowTaskFailures} workflow-task failures/timeouts in ${lowest.sampledHistories} sampled histories ` +
        `and a poll start lag p99 of ${f((lowest.pollLagMs.p99 ?? 0) / 1000, 1)} s.`,
    );
  } else if (lowestOk && lowestOk.worker.hwmMB > 600) {
    out.push(
      `- So at 500 deployments on this machine the lowest RSS measured without replays or failed workflow tasks is ` +
        `${f(lowestOk.worker.hwmMB)} MB (${levelName(lowestOk)}), ${f(lowestOk.worker.hwmMB - 600)} MB over the target.`,
    );
  }
  for (const l of plain) {
    const fireOk = (l.fireLagMs.p99 ?? Infinity) <= 1000;
    const pollLate = (l.pollLagMs.p99 ?? 0) > 1000;
    out.push(
      `- N=${l.n}: ${f(l.requests.perSecond)} LifeTime requests/s; CPU mean (peak over 2 s), % of one core: worker ` +
        `${f(l.worker.meanCpuPct, 0)} (${f(l.worker.peakCpuPct, 0)}), dev server ${f(l.devServer.meanCpuPct, 0)} ` +
        `(${f(l.devServer.peakCpuPct, 0)}), benchmark + simulator ${f(l.benchProcess.meanCpuPct, 0)} ` +
        `(${f(l.benchProcess.peakCpuPct, 0)}); the machine has ${cores * 100} % in all (load average ${l.loadAverage?.join(' / ') ?? '–'} at the end of the level). Timers fire ` +
        `${fireOk ? 'on time' : 'late'} (p99 ${f(l.fireLagMs.p99, 0)} ms)` +
        (pollLate
          ? `; the poll that follows a timer starts late (p99 ${f(l.pollLagMs.p99, 0)} ms): its workflow task and ` +
            'activity task queue behind the others while the worker and the dev server share two cores.'
          : `; the poll that follows starts within p99 ${f(l.pollLagMs.p99, 0)} ms.`),
    );
  }
  return out.join('\n');
}
