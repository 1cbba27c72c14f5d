/**
 * Small helpers shared by the simulator modules: stable keys, version-label ordering, time formatting,
 * a seeded PRNG, and zod error formatting for request and admin bodies.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';

/** A GUID derived from its parts (same parts → same key), formatted like a v5 UUID. */
export function stableUuid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Compares version labels component by component, numerically where both are numbers ("1.10" > "1.9"). */
export function compareVersionLabels(a: string, b: string): number {
  const pa = a.split(/[.\-_]/);
  const pb = b.split(/[.\-_]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return c < 0 ? -1 : 1;
  }
  return 0;
}

/** LifeTime's date-time format (ISO 8601 in UTC with milliseconds and `Z`). */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** mulberry32: a tiny deterministic PRNG (same seed → same sequence), for reproducible fault injection. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One line per zod issue, each naming the field path: `ApplicationOperations[0].DeploymentZoneKey: …`. */
export function zodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join('');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

/** Thrown by simulator operations; the HTTP layer turns it into an Exception body with this status. */
export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join('; '));
    this.name = 'SimError';
  }
}

/** Shorthand: `throw fail(404, 'Deployment with key … not found.')`. */
export const fail = (status: number, ...errors: string[]): SimError => new SimError(status, errors);
