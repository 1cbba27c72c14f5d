/**
 * The admin API under `/_sim/` (no authentication; never part of the LifeTime base path): request log,
 * reset, plans, scenarios, presets, faults, manual advance, configuration and environment availability
 * (maintenance mode, offline). Bodies are JSON; errors use
 * the same `{ Errors, StatusCode }` shape as LifeTime.
 */
import type { SimCore } from './core';
import { empty, json, type Reply, type Request, type Route } from './http';
import { fail } from './util';

type Handler = (sim: SimCore, p: Record<string, string>, body: unknown) => Reply;
const route = (method: string, pattern: string, handle: Handler): Route<SimCore> => ({
  method,
  pattern,
  handle: (sim, p, req: Request) => handle(sim, p, adminBody(req)),
});

function adminBody(req: Request): unknown {
  if (req.body.trim() === '') return {};
  try {
    return JSON.parse(req.body);
  } catch {
    throw fail(400, 'the request body is not valid JSON');
  }
}

export const adminRoutes: Route<SimCore>[] = [
  route('GET', '/requests', (sim) => json(200, sim.requests)),
  route('DELETE', '/requests', (sim) => {
    sim.requests = [];
    return empty(204);
  }),
  route('POST', '/reset', (sim) => {
    sim.reset();
    return empty(204);
  }),
  route('GET', '/plans', (sim) => json(200, sim.planViews())),
  route('GET', '/plans/{key}', (sim, p) => json(200, sim.planView(p.key!))),
  route('POST', '/plans', (sim, _p, body) => json(201, sim.addPlan(body))),
  route('GET', '/scenario', (sim) => json(200, sim.scenarios.list())),
  route('POST', '/scenario', (sim, _p, body) => json(200, sim.setScenario(body))),
  route('DELETE', '/scenario', (sim) => {
    sim.scenarios.clear();
    return empty(204);
  }),
  route('POST', '/preset', (sim, _p, body) => json(200, sim.applyPreset(body))),
  route('GET', '/faults', (sim) => json(200, sim.faults.view() ?? null)),
  route('POST', '/faults', (sim, _p, body) => json(200, sim.setFaults(body))),
  route('DELETE', '/faults', (sim) => {
    sim.faults.clear();
    return empty(204);
  }),
  route('POST', '/advance', (sim, _p, body) => json(200, sim.advance(body))),
  route('GET', '/config', (sim) => json(200, sim.config)),
  route('POST', '/config', (sim, _p, body) => json(200, sim.setConfig(body))),
  route('GET', '/data', (sim) => json(200, sim.data())),
  route('GET', '/environments/{key}', (sim, p) => json(200, sim.environmentAvailability(p.key!))),
  route('POST', '/environments/{key}/maintenance', (sim, p, body) => json(200, sim.setMaintenance(p.key!, body))),
  route('POST', '/environments/{key}/offline', (sim, p, body) => json(200, sim.setOffline(p.key!, body))),
];
