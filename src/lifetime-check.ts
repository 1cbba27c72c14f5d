/**
 * The worker's start check of LifeTime: one cheap authenticated GET (`/environments/`). A wrong setting (token
 * refused, TLS or scheme wrong, no LifeTime API at the URL) is a configuration error the worker refuses to start
 * with; an unreachable LifeTime is said loudly and checked again until it answers, since it may come back.
 */
import type { LifeTimeSettings } from './config';
import { isLifeTimeError, LifeTimeAuthError, LifeTimeClient, LifeTimeNetworkError } from './lifetime';

export type CheckResult =
  | { ok: true; environments: number }
  | { ok: false; kind: 'config'; message: string }
  | { ok: false; kind: 'unreachable'; message: string };

/** TLS problems: the scheme is wrong (http vs https) or the certificate is not trusted. */
const TLS = /SSL|TLS|CERT|EPROTO|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i;

export async function checkLifeTime(settings: LifeTimeSettings, timeoutMs = 10_000): Promise<CheckResult> {
  const { baseUrl, token, caFile, proxy } = settings; // the token is not enumerable: no spread
  const lt = new LifeTimeClient({ baseUrl, token, caFile, proxy, timeoutMs, retryLimit: 0 });
  const url = settings.baseUrl;
  try {
    const envs = await lt.environments.list();
    return { ok: true, environments: envs.length };
  } catch (err) {
    if (err instanceof LifeTimeAuthError || (isLifeTimeError(err) && (err.status === 401 || err.status === 403))) {
      return {
        ok: false,
        kind: 'config',
        message: `LIFETIME_TOKEN: LifeTime at ${url} refused the token (${err.status ?? 'auth'}): check the service account token`,
      };
    }
    if (err instanceof LifeTimeNetworkError && TLS.test(`${err.errorCode ?? ''} ${err.message}`)) {
      const scheme = url.startsWith('https:')
        ? 'is LifeTime served over http (then LIFETIME_URL must start with http://), or is its certificate trusted (LIFETIME_CA_FILE)?'
        : 'check the scheme of LIFETIME_URL';
      return {
        ok: false,
        kind: 'config',
        message: `LIFETIME_URL: the TLS connection to ${url} failed (${err.errorCode ?? 'TLS error'}): ${scheme}`,
      };
    }
    if (isLifeTimeError(err) && err.status === 404) {
      return {
        ok: false,
        kind: 'config',
        message: `LIFETIME_URL: no LifeTime API at ${url} (404 for GET /environments/): is this the LifeTime server's address?`,
      };
    }
    const why = err instanceof LifeTimeNetworkError ? (err.errorCode ?? err.message) : (err as Error).message;
    return { ok: false, kind: 'unreachable', message: `LifeTime at ${url} is unreachable: ${why}` };
  }
}
