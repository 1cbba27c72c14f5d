/**
 * Fault injection for LifeTime API requests (never for `/_sim/`): 5xx answers, throttling, latency, hung
 * requests, reset connections, broken JSON, and lost replies (the request is carried out, the reply never
 * sent). Everything is deterministic: counted faults hit the next N matching requests; `errorRate` draws from a
 * seeded PRNG (same seed and request order → same requests fail); `errorEvery: n` fails every n-th matching
 * request. When several apply to one request, the first of hang, resetConnection, throttle, error, malformedJson
 * wins; `dropReply` and `dropNextCreateResponse` only apply to a request none of those took.
 */
import { z } from 'zod';
import { seededRandom } from './util';

const count = z.strictObject({ count: z.number().int().min(1) });

export const FaultsRequest = z.strictObject({
  /** Share (0..1) of matching requests answered with `errorStatus`, decided by a PRNG seeded with `seed`. */
  errorRate: z.number().min(0).max(1).optional(),
  /** Every n-th matching request is answered with `errorStatus`. */
  errorEvery: z.number().int().min(1).optional(),
  errorStatus: z.number().int().min(400).max(599).default(503),
  seed: z.number().int().default(1),
  /** The next `count` matching requests get 429 with `Retry-After: retryAfterSeconds`. */
  throttle: z.strictObject({ count: z.number().int().min(1), retryAfterSeconds: z.number().int().min(0) }).optional(),
  /** Delay before every matching request is handled. */
  latencyMs: z.number().int().min(0).optional(),
  /** Accept the next `count` matching requests and never answer them. */
  hang: count.optional(),
  /** Destroy the socket of the next `count` matching requests without an answer. */
  resetConnection: count.optional(),
  /** Answer the next `count` matching requests with 200 and a truncated JSON body (the request is not handled). */
  malformedJson: count.optional(),
  /** The next `count` matching requests that reach the API (token accepted) are carried out as usual, whatever
   * their status, and logged with that status and `dropped: true`; then the socket is destroyed unanswered. */
  dropReply: count.optional(),
  /** The next successful `POST /deployments/` (201) creates the plan, then the socket is destroyed without a
   * response (logged with `dropped: true`). Independent of `match`. */
  dropNextCreateResponse: z.boolean().optional(),
  /** Which requests the faults apply to (default all): method, and a regex tested on the path below the base
   * path (e.g. `^/deployments/[^/]+/status/?$`) and on the full path. */
  match: z
    .strictObject({
      method: z.string().min(1).optional(),
      path: z
        .string()
        .min(1)
        .refine((s) => {
          try {
            new RegExp(s);
            return true;
          } catch {
            return false;
          }
        }, 'not a valid regular expression')
        .optional(),
    })
    .optional(),
});
export type FaultsRequest = z.input<typeof FaultsRequest>;
export type FaultsState = z.output<typeof FaultsRequest> & { matched: number };

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'throttle'; retryAfterSeconds: number }
  | { kind: 'error'; status: number }
  | { kind: 'malformed' };

export class Faults {
  private state: FaultsState | undefined;
  private random: () => number = seededRandom(1);

  set(req: z.output<typeof FaultsRequest>): FaultsState {
    this.state = { ...structuredClone(req), matched: 0 };
    this.random = seededRandom(req.seed);
    return this.view()!;
  }
  clear(): void {
    this.state = undefined;
  }
  /** The current faults with their remaining counts (undefined when none). */
  view(): FaultsState | undefined {
    return this.state && structuredClone(this.state);
  }

  private matches(method: string, relPath: string, fullPath: string): boolean {
    const m = this.state?.match;
    if (!m) return true;
    if (m.method && m.method.toUpperCase() !== method.toUpperCase()) return false;
    if (m.path) {
      const re = new RegExp(m.path);
      if (!re.test(relPath) && !re.test(fullPath)) return false;
    }
    return true;
  }

  /** Latency for this request (0 when none or not matching). */
  latency(method: string, relPath: string, fullPath: string): number {
    return this.state?.latencyMs && this.matches(method, relPath, fullPath) ? this.state.latencyMs : 0;
  }

  /** What to do with this request; consumes counted faults. */
  decide(method: string, relPath: string, fullPath: string): FaultDecision {
    const s = this.state;
    if (!s || !this.matches(method, relPath, fullPath)) return { kind: 'none' };
    s.matched += 1;
    const take = (f: { count: number } | undefined): boolean => {
      if (!f || f.count <= 0) return false;
      f.count -= 1;
      return true;
    };
    if (take(s.hang)) return { kind: 'hang' };
    if (take(s.resetConnection)) return { kind: 'reset' };
    if (s.throttle && take(s.throttle)) return { kind: 'throttle', retryAfterSeconds: s.throttle.retryAfterSeconds };
    const every = s.errorEvery !== undefined && s.matched % s.errorEvery === 0;
    const rate = s.errorRate !== undefined && s.errorRate > 0 && this.random() < s.errorRate;
    if (every || rate) return { kind: 'error', status: s.errorStatus };
    if (take(s.malformedJson)) return { kind: 'malformed' };
    return { kind: 'none' };
  }

  /**
   * Whether the reply to this request, already carried out (`route` matched, answered `status`), is to be
   * dropped; consumes `dropNextCreateResponse` (a 201 `POST /deployments/`) or else one of `dropReply`.
   */
  takeDropReply(method: string, relPath: string, fullPath: string, route: string | undefined, status: number): boolean {
    const s = this.state;
    if (!s) return false;
    if (s.dropNextCreateResponse && method === 'POST' && route === '/deployments/' && status === 201) {
      s.dropNextCreateResponse = false;
      return true;
    }
    if (!s.dropReply || s.dropReply.count <= 0 || !this.matches(method, relPath, fullPath)) return false;
    s.dropReply.count -= 1;
    return true;
  }
}
