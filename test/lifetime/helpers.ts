/**
 * What the LifeTime client tests share: a plan key and a create body, `failure()` for the error a call rejects
 * with, and the per-file lifecycle of a test server (see ./http-server.ts for the servers themselves).
 */
import { isLifeTimeError, type LifeTimeError } from '../../src/lifetime';
import { useStarted } from '../lifecycle';
import { startServer, type TestServer } from './http-server';

/** A deployment plan key. */
export const PLAN = 'dce64ad4-2ddf-4e54-a639-3524bcd5b9a1';

/** A valid `POST /deployments/` body with placeholder keys (for tests about the transport, not the data). */
export const createBody = {
  Notes: 'x',
  SourceEnvironmentKey: 'src',
  TargetEnvironmentKey: 'tgt',
  ApplicationOperations: [{ ApplicationVersionKey: 'v', DeploymentZoneKey: '' }],
};

/** The LifeTimeError that `p` rejects with; throws when it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<LifeTimeError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isLifeTimeError(e)) throw new Error(`expected a LifeTimeError, got ${String(e)}`);
  return e;
}

/**
 * One test server for the enclosing file or describe block: started before its tests (`onStarted` receives it),
 * its request log emptied before each test, closed after the last one.
 */
export function useTestServer(onStarted: (server: TestServer) => void): void {
  const server = useStarted(startServer, (s) => s.close(), onStarted);
  beforeEach(() => {
    server().requests.length = 0;
  });
}
