/**
 * The jest lifecycle that every test harness here shares (test/harness.ts, test/simulator/helpers.ts,
 * test/lifetime/helpers.ts, test/e2e/processes.ts): something started before the tests of the enclosing file or
 * describe block and stopped after the last of them. No dependencies, so any test file can use it cheaply.
 */

/**
 * Starts `start()` before the block's tests and hands the result to `onStarted`; `stop`s it after the last test
 * (when it started). Returns a getter for the harness's own hooks (e.g. a reset before each test).
 */
export function useStarted<T>(
  start: () => Promise<T> | T,
  stop: (started: T) => Promise<void> | void,
  onStarted: (started: T) => void,
  timeoutMs?: number,
): () => T {
  let started: { value: T } | undefined;
  beforeAll(async () => {
    started = { value: await start() };
    onStarted(started.value);
  }, timeoutMs);
  afterAll(async () => {
    if (started) await stop(started.value);
  }, timeoutMs);
  return () => {
    if (!started) throw new Error('not started: use it inside the tests of the block that set it up');
    return started.value;
  };
}
