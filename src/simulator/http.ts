/**
 * Small HTTP toolkit for the simulator (node:http only): a route table with `{param}` segments (paths match
 * with and without a trailing slash), replies, query and body parsing that fail with LifeTime-style errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { ExceptionBody } from '../lifetime/schemas';
import { fail, zodIssues } from './util';

export interface Reply {
  status: number;
  kind: 'json' | 'text' | 'empty';
  body?: unknown;
  headers?: Record<string, string>;
}
export interface Request {
  method: string;
  /** Full path as received (no query). */
  path: string;
  /** Path below the mount point (LifeTime base path or `/_sim`), always starting with `/`. */
  rel: string;
  query: Record<string, string>;
  body: string;
}
export interface Route<C> {
  method: string;
  /** e.g. `/deployments/{DeploymentKey}/status/`; also the route's name in the request log. */
  pattern: string;
  handle(ctx: C, params: Record<string, string>, req: Request): Reply;
}

export const json = <T>(status: number, body: T, headers?: Record<string, string>): Reply => ({
  status,
  kind: 'json',
  body,
  headers,
});
export const text = (status: number, body: string): Reply => ({ status, kind: 'text', body });
export const empty = (status: number): Reply => ({ status, kind: 'empty' });
export const exception = (status: number, errors: string[], headers?: Record<string, string>): Reply =>
  json<z.input<typeof ExceptionBody>>(status, { Errors: errors, StatusCode: status }, headers);

const segmentsOf = (path: string): string[] =>
  path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });

export type Match<C> = { route: Route<C>; params: Record<string, string> } | { methodNotAllowed: string[] } | undefined;

/** The most specific route (most literal segments) for the path; or the methods the path allows. */
export function matchRoute<C>(routes: Route<C>[], method: string, rel: string): Match<C> {
  const segs = segmentsOf(rel);
  let best: { route: Route<C>; params: Record<string, string>; literals: number } | undefined;
  const allowed = new Set<string>();
  for (const route of routes) {
    const pat = segmentsOf(route.pattern);
    if (pat.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    const ok = pat.every((p, i) => {
      if (p.startsWith('{') && p.endsWith('}')) {
        params[p.slice(1, -1)] = segs[i]!;
        return true;
      }
      literals += 1;
      return p.toLowerCase() === segs[i]!.toLowerCase();
    });
    if (!ok) continue;
    if (route.method !== method) {
      allowed.add(route.method);
      continue;
    }
    if (!best || literals > best.literals) best = { route, params, literals };
  }
  if (best) return { route: best.route, params: best.params };
  return allowed.size > 0 ? { methodNotAllowed: [...allowed] } : undefined;
}

/** A boolean query parameter: true/false in any letter case (the pipeline sends True/False). */
export function queryBool(query: Record<string, string>, name: string): boolean | undefined {
  const entry = Object.entries(query).find(([k]) => k.toLowerCase() === name.toLowerCase());
  if (!entry) return undefined;
  const v = entry[1].trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false' || v === '') return false;
  throw fail(400, `Invalid request. ${name} must be true or false, got ${JSON.stringify(entry[1])}.`);
}

/** A query parameter by name, case-insensitively. */
export function queryParam(query: Record<string, string>, name: string): string | undefined {
  return Object.entries(query).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** Parses the JSON body with a schema; 400 naming each bad field. */
export function parseBody<S extends z.ZodType>(req: Request, schema: S, what: string): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(req.body);
  } catch {
    throw fail(400, `Invalid request. The ${what} body is not valid JSON.`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw fail(400, ...zodIssues(r.error).map((m) => `Invalid request. ${what}: ${m}`));
  return r.data;
}

export function readBody(req: IncomingMessage, limit = 5 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(fail(413, 'Request body too large.'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The reply's headers and body as they go on the wire; `bytes` is the body's size. */
export function encode(reply: Reply): { headers: Record<string, string>; payload: string; bytes: number } {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload = '';
  if (reply.kind === 'json') {
    headers['content-type'] = 'application/json; charset=utf-8';
    payload = JSON.stringify(reply.body);
  } else if (reply.kind === 'text') {
    headers['content-type'] = 'text/plain; charset=utf-8';
    payload = String(reply.body);
  }
  const bytes = Buffer.byteLength(payload);
  headers['content-length'] = String(bytes);
  return { headers, payload, bytes };
}

/** Sends the reply; returns the body's size in bytes. */
export function send(res: ServerResponse, reply: Reply): number {
  const { headers, payload, bytes } = encode(reply);
  res.writeHead(reply.status, headers);
  res.end(payload);
  return bytes;
}
