/**
 * The HTTP server: routes `/lifetimeapi/rest/v2/…` (Bearer token, faults, request log) and `/_sim/…`
 * (admin, no token), answers everything else with a 404 Exception, and writes the state file after each
 * request that changed something.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { adminRoutes } from './admin-routes';
import type { RequestRecord, SimCore } from './core';
import { encode, exception, matchRoute, readBody, send, type Reply, type Request, type Route } from './http';
import { lifetimeRoutes } from './lifetime-routes';
import { iso, SimError } from './util';

export const BASE_PATH = '/lifetimeapi/rest/v2';
export const ADMIN_PATH = '/_sim';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function dispatch(
  sim: SimCore,
  routes: Route<SimCore>[],
  req: Request,
  log: (l: string) => void,
): { reply: Reply; route?: string } {
  const m = matchRoute(routes, req.method, req.rel);
  if (!m) return { reply: exception(404, [`The requested resource does not exist: ${req.method} ${req.path}`]) };
  if ('methodNotAllowed' in m)
    return {
      reply: exception(405, [`Method ${req.method} is not allowed for ${req.path}.`], {
        allow: m.methodNotAllowed.join(', '),
      }),
    };
  try {
    sim.plans.tickAll();
    return { reply: m.route.handle(sim, m.params, req), route: m.route.pattern };
  } catch (err) {
    if (err instanceof SimError) return { reply: exception(err.status, err.errors), route: m.route.pattern };
    log(
      `simulator error on ${req.method} ${req.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    return {
      reply: exception(500, ['There was an internal error in the LifeTime simulator.']),
      route: m.route.pattern,
    };
  }
}

export function createSimServer(sim: SimCore, token: string, log: (line: string) => void): Server {
  const authorized = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization ?? '';
    const m = /^bearer\s+(.+)$/i.exec(h.trim());
    return m !== null && m[1] === token;
  };

  async function lifetime(req: IncomingMessage, res: ServerResponse, r: Request): Promise<void> {
    const record: RequestRecord = {
      method: r.method,
      path: r.path,
      query: r.query,
      status: 0,
      responseBytes: 0,
      at: iso(sim.now()),
    };
    sim.requests.push(record);
    if (sim.requests.length > 50_000) sim.requests.splice(0, sim.requests.length - 50_000);
    const done = (reply: Reply): void => {
      record.status = reply.status;
      record.responseBytes = send(res, reply);
      log(`${r.method} ${r.path} → ${reply.status}`);
    };
    const fault = sim.faults.decide(r.method, r.rel, r.path);
    if (fault.kind === 'hang') return log(`${r.method} ${r.path} → (hung by fault)`);
    if (fault.kind === 'reset') {
      req.socket.destroy();
      return log(`${r.method} ${r.path} → (connection reset by fault)`);
    }
    const latency = sim.faults.latency(r.method, r.rel, r.path);
    if (latency > 0) await sleep(latency);
    if (fault.kind === 'throttle')
      return done(
        exception(429, ['Too many requests. Try again later.'], { 'retry-after': String(fault.retryAfterSeconds) }),
      );
    if (fault.kind === 'error')
      return done(exception(fault.status, [`The LifeTime service is unavailable (simulated ${fault.status}).`]));
    if (fault.kind === 'malformed') {
      const truncated = '{"DeploymentStatus":"runn';
      record.status = 200;
      record.responseBytes = Buffer.byteLength(truncated);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(truncated);
      return log(`${r.method} ${r.path} → 200 (malformed JSON by fault)`);
    }
    if (!authorized(req)) return done(exception(401, ['Invalid or missing authentication token.']));
    r.body = await readBody(req);
    const { reply, route } = dispatch(sim, lifetimeRoutes, r, log);
    if (route) record.route = route;
    if (sim.faults.takeDropReply(r.method, r.rel, r.path, route, reply.status)) {
      record.status = reply.status;
      record.responseBytes = encode(reply).bytes;
      record.dropped = true;
      sim.persist();
      req.socket.destroy();
      return log(`${r.method} ${r.path} → ${reply.status} (reply dropped by fault)`);
    }
    done(reply);
  }

  async function admin(req: IncomingMessage, res: ServerResponse, r: Request): Promise<void> {
    r.body = await readBody(req);
    const { reply } = dispatch(sim, adminRoutes, r, log);
    send(res, reply);
    log(`${r.method} ${r.path} → ${reply.status}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname;
    const r: Request = {
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      rel: '/',
      query: Object.fromEntries(url.searchParams),
      body: '',
    };
    const under = (prefix: string): boolean => path === prefix || path.startsWith(`${prefix}/`);
    if (under(BASE_PATH)) await lifetime(req, res, { ...r, rel: path.slice(BASE_PATH.length) || '/' });
    else if (under(ADMIN_PATH)) await admin(req, res, { ...r, rel: path.slice(ADMIN_PATH.length) || '/' });
    else send(res, exception(404, [`The requested resource does not exist: ${r.method} ${path}`]));
    sim.persist();
  }

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof SimError ? err.status : 500;
      if (!res.headersSent && !res.destroyed)
        send(res, exception(status, [err instanceof Error ? err.message : String(err)]));
    });
  });
}
