/**
 * Fault injection: every fault's observable effect (status, headers, body, socket), determinism, matching,
 * and the request log.
 */
import type { SimulatorHandle } from '../../src/simulator';
import { Api, isTerminal, K, planBody, startTestSimulator, useTestSimulator } from './helpers';

let sim: SimulatorHandle;
let api: Api;
useTestSimulator((started) => ({ sim, api } = started));

const statuses = async (a: Api, n: number, path = '/environments/'): Promise<number[]> => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await a.get(path)).status);
  return out;
};

describe('faults', () => {
  test('errorRate is deterministic: the same seed fails the same requests; 0 and 1 are none and all', async () => {
    const other = await startTestSimulator();
    try {
      sim.setFaults({ errorRate: 0.5, seed: 42 });
      other.sim.setFaults({ errorRate: 0.5, seed: 42 });
      const a = await statuses(api, 30);
      const b = await statuses(other.api, 30);
      expect(a).toEqual(b);
      expect(new Set(a)).toEqual(new Set([200, 503]));
      other.sim.setFaults({ errorRate: 0.5, seed: 7 });
      expect(await statuses(other.api, 30)).not.toEqual(a);
      sim.setFaults({ errorRate: 0 });
      expect(new Set(await statuses(api, 5))).toEqual(new Set([200]));
      sim.setFaults({ errorRate: 1, errorStatus: 500 });
      expect(new Set(await statuses(api, 5))).toEqual(new Set([500]));
    } finally {
      await other.sim.close();
    }
  });

  test('errorEvery n fails every n-th matching request with errorStatus and an Exception body', async () => {
    sim.setFaults({ errorEvery: 3, errorStatus: 502 });
    expect(await statuses(api, 7)).toEqual([200, 200, 502, 200, 200, 502, 200]);
    sim.setFaults({ errorEvery: 1 });
    const r = await api.get('/environments/');
    expect(r.json()).toEqual({ Errors: [expect.any(String)], StatusCode: 503 });
    expect(sim.requests().map((x) => x.status)).toEqual([200, 200, 502, 200, 200, 502, 200, 503]);
  });

  test('throttle: the next N requests get 429 with Retry-After, then normal answers', async () => {
    sim.setFaults({ throttle: { count: 2, retryAfterSeconds: 7 } });
    const first = await api.get('/environments/');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(first.json<{ StatusCode: number }>().StatusCode).toBe(429);
    expect(await statuses(api, 2)).toEqual([429, 200]);
    expect(sim.faults()!.throttle!.count).toBe(0);
  });

  test('latencyMs delays matching requests only', async () => {
    sim.setFaults({ latencyMs: 150, match: { path: '^/environments/?$' } });
    let t = Date.now();
    expect((await api.get('/environments/')).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
    t = Date.now();
    await api.get('/applications/');
    expect(Date.now() - t).toBeLessThan(140);
  });

  test('hang: the request is accepted and never answered (status 0 in the log); close() still ends it', async () => {
    const hung = await startTestSimulator();
    hung.sim.setFaults({ hang: { count: 1 } });
    const pending = fetch(`${hung.sim.url}/environments/`, {
      headers: { authorization: `Bearer ${hung.sim.token}` },
      signal: AbortSignal.timeout(300),
    });
    await expect(pending).rejects.toThrow();
    expect((await hung.api.get('/environments/')).status).toBe(200);
    expect(hung.sim.requests().map((r) => r.status)).toEqual([0, 200]);
    hung.sim.setFaults({ hang: { count: 1 } });
    const never = fetch(`${hung.sim.url}/environments/`, {
      headers: { authorization: `Bearer ${hung.sim.token}` },
    }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t = Date.now();
    await hung.sim.close();
    expect(Date.now() - t).toBeLessThan(1000);
    expect(await never).toMatchObject({ message: expect.stringMatching(/fetch failed/) });
  });

  test('resetConnection: the socket is destroyed without an answer', async () => {
    sim.setFaults({ resetConnection: { count: 1 } });
    await expect(api.get('/environments/')).rejects.toThrow(/fetch failed/);
    expect((await api.get('/environments/')).status).toBe(200);
    expect(sim.requests().map((r) => r.status)).toEqual([0, 200]);
  });

  test("responseBytes in the request log: the body size of what was answered; 0 when nothing was; a dropped reply's would-be body", async () => {
    const env = await api.get('/environments/');
    sim.setFaults({ throttle: { count: 1, retryAfterSeconds: 1 } });
    const throttled = await api.get('/environments/');
    sim.setFaults({ resetConnection: { count: 1 } });
    await expect(api.get('/environments/')).rejects.toThrow(/fetch failed/);
    sim.setFaults({ malformedJson: { count: 1 } });
    const broken = await api.get('/environments/');
    sim.setFaults({ dropReply: { count: 1 } });
    await expect(api.get('/environments/')).rejects.toThrow(/fetch failed/);
    sim.clearFaults();
    await api.del('/deployments/nope/');
    expect(sim.requests().map((r) => [r.status, r.responseBytes, r.dropped ?? false])).toEqual([
      [200, Buffer.byteLength(env.text), false],
      [429, Buffer.byteLength(throttled.text), false],
      [0, 0, false],
      [200, Buffer.byteLength(broken.text), false],
      [200, Buffer.byteLength(env.text), true],
      [404, expect.any(Number), false],
    ]);
    expect(sim.requests().every((r) => r.status === 0 || r.responseBytes > 0)).toBe(true);
  });

  test('malformedJson: 200 with a body that is not JSON, and the request is not handled', async () => {
    sim.setFaults({ malformedJson: { count: 1 }, match: { method: 'POST' } });
    expect((await api.get('/environments/')).status).toBe(200);
    const r = await api.post('/deployments/', planBody([K.employeeBackoffice10]));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    expect(() => r.json()).toThrow(SyntaxError);
    expect(sim.plans()).toEqual([]);
  });

  test('dropNextCreateResponse: the plan is created, the response never arrives; the next create is normal', async () => {
    sim.setFaults({ dropNextCreateResponse: true });
    expect((await api.get('/environments/')).status).toBe(200);
    await expect(api.post('/deployments/', planBody([K.employeeBackoffice10]))).rejects.toThrow(/fetch failed/);
    expect(sim.plans().map((p) => [p.key, p.status])).toEqual([[K.firstDeployment, 'saved']]);
    expect((await api.post('/deployments/', planBody([K.hrCore12]))).status).toBe(201);
    expect(sim.requests().map((r) => `${r.method} ${r.route} ${r.status} ${r.dropped ?? false}`)).toEqual([
      'GET /environments/ 200 false',
      'POST /deployments/ 201 true',
      'POST /deployments/ 201 false',
    ]);
  });

  test('a refused create does not use up dropNextCreateResponse', async () => {
    sim.setFaults({ dropNextCreateResponse: true });
    expect((await api.post('/deployments/', { Notes: 'x' })).status).toBe(400);
    await expect(api.post('/deployments/', planBody([K.employeeBackoffice10]))).rejects.toThrow();
    expect(sim.plans()).toHaveLength(1);
  });

  test('dropNextCreateResponse ignores match (it only ever hits a create)', async () => {
    sim.setFaults({ dropNextCreateResponse: true, match: { method: 'GET' } });
    await expect(api.post('/deployments/', planBody([K.employeeBackoffice10]))).rejects.toThrow(/fetch failed/);
    expect(sim.plans()).toHaveLength(1);
    expect(sim.faults()!.dropNextCreateResponse).toBe(false);
  });

  test('match: method and path regex select the requests; the admin API is never faulted', async () => {
    sim.setFaults({ errorEvery: 1, match: { method: 'get', path: 'status/?$' } });
    const key = await api.create([K.employeeBackoffice10]);
    expect((await api.get(`/deployments/${key}/`)).status).toBe(200);
    expect((await api.get(`/deployments/${key}/status/`)).status).toBe(503);
    expect((await api.get(`/deployments/${key}/status`)).status).toBe(503);
    sim.setFaults({ errorEvery: 1, match: { path: '^/lifetimeapi/rest/v2/environments/$' } });
    expect(await statuses(api, 1)).toEqual([503]);
    sim.setFaults({ errorEvery: 1 });
    expect((await api.admin('GET', '/plans')).status).toBe(200);
  });

  test('clear: DELETE /_sim/faults and clearFaults() restore normal answers; GET shows remaining counts', async () => {
    expect((await api.admin('POST', '/faults', { throttle: { count: 3, retryAfterSeconds: 1 } })).status).toBe(200);
    await api.get('/environments/');
    expect((await api.admin('GET', '/faults')).json()).toMatchObject({ throttle: { count: 2 }, matched: 1 });
    expect((await api.admin('DELETE', '/faults')).status).toBe(204);
    expect((await api.admin('GET', '/faults')).json()).toBeNull();
    expect((await api.get('/environments/')).status).toBe(200);
    sim.setFaults({ errorEvery: 1 });
    sim.clearFaults();
    expect((await api.get('/environments/')).status).toBe(200);
  });

  test('invalid faults are refused with the field named (400 over HTTP, an error from the handle)', async () => {
    const r = await api.admin('POST', '/faults', { errorRate: 2, match: { path: '(' }, bogus: 1 });
    expect(r.status).toBe(400);
    const text = r.json<{ Errors: string[] }>().Errors.join('\n');
    expect(text).toContain('errorRate');
    expect(text).toContain('match.path');
    expect(text).toContain('bogus');
    expect(() => sim.setFaults({ throttle: { count: 0, retryAfterSeconds: 1 } })).toThrow(/throttle\.count/);
  });
});

describe('dropReply: the request is carried out, the reply never arrives', () => {
  const START = (key: string) => `/deployments/${key}/start/`;
  /** The request log as `METHOD path status` lines, ` dropped` appended to dropped replies. */
  const log = (): string[] =>
    sim
      .requests()
      .map((r) => `${r.method} ${r.path.replace(/^.*\/rest\/v2/, '')} ${r.status}${r.dropped ? ' dropped' : ''}`);
  /** A plan stopped at needs_user_intervention (deployment_prepared), with the request log cleared. */
  const waitingPlan = async (): Promise<string> => {
    sim.setScenario({ interventions: [{ info: 'deployment_prepared' }] });
    const key = await api.create([K.employeeBackoffice10]);
    await api.post(START(key));
    await api.pollUntil(key, (s) => s.DeploymentStatus === 'needs_user_intervention');
    sim.clearRequests();
    return key;
  };

  test('create: the plan exists, the client sees a socket error, the log shows 201 dropped; the next create is answered', async () => {
    sim.setFaults({ dropReply: { count: 1 } });
    await expect(api.post('/deployments/', planBody([K.employeeBackoffice10]))).rejects.toThrow(/fetch failed/);
    expect(sim.plans().map((p) => [p.key, p.status])).toEqual([[K.firstDeployment, 'saved']]);
    expect((await api.post('/deployments/', planBody([K.hrCore12]))).status).toBe(201);
    expect(sim.plans()).toHaveLength(2);
    expect(log()).toEqual(['POST /deployments/ 201 dropped', 'POST /deployments/ 201']);
    expect(sim.faults()!.dropReply!.count).toBe(0);
  });

  test('start: the plan runs, the reply is lost; the next request is answered', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    sim.setFaults({ dropReply: { count: 1 } });
    await expect(api.post(START(key))).rejects.toThrow(/fetch failed/);
    expect(sim.plan(key)).toMatchObject({ started: true, step: { index: 0 } });
    expect((await api.status(key)).DeploymentStatus).toBe('running'); // a started plan's first step
    expect((await api.post(START(key))).status).toBe(400); // already started
    expect(log()).toEqual([
      'POST /deployments/ 201',
      `POST /deployments/${key}/start/ 202 dropped`,
      `GET /deployments/${key}/status/ 200`,
      `POST /deployments/${key}/start/ 400`,
    ]);
  });

  test('abort: the plan is aborting, the reply is lost; the next request is answered', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    await api.post(START(key));
    sim.clearRequests();
    sim.setFaults({ dropReply: { count: 1 } });
    await expect(api.post(`/deployments/${key}/abort/`)).rejects.toThrow(/fetch failed/);
    expect(sim.plan(key).status).toBe('aborting');
    expect((await api.pollUntil(key, isTerminal)).DeploymentStatus).toBe('aborted');
    expect(log()[0]).toBe(`POST /deployments/${key}/abort/ 202 dropped`);
    expect(
      log()
        .slice(1)
        .every((l) => l.endsWith(' 200')),
    ).toBe(true);
  });

  test('continue: a plan at needs_user_intervention continues, the reply is lost; the next request is answered', async () => {
    const key = await waitingPlan();
    sim.setFaults({ dropReply: { count: 1 } });
    await expect(api.post(`/deployments/${key}/continue/`)).rejects.toThrow(/fetch failed/);
    expect(sim.plan(key).status).toBe('running');
    expect((await api.pollUntil(key, isTerminal)).DeploymentStatus).toBe('finished_successful');
    expect(log()[0]).toBe(`POST /deployments/${key}/continue/ 202 dropped`);
    expect(log().filter((l) => l.endsWith('dropped'))).toHaveLength(1);
  });

  test('delete: the plan is gone, the reply is lost; the next request is answered (404 for the gone plan)', async () => {
    const key = await api.create([K.employeeBackoffice10]);
    sim.setFaults({ dropReply: { count: 1 } });
    await expect(api.del(`/deployments/${key}/`)).rejects.toThrow(/fetch failed/);
    expect(sim.plans()).toEqual([]);
    expect((await api.get(`/deployments/${key}/`)).status).toBe(404);
    expect(log()).toEqual([
      'POST /deployments/ 201',
      `DELETE /deployments/${key}/ 204 dropped`,
      `GET /deployments/${key}/ 404`,
    ]);
  });

  test('GETs too, with the real status (a refused request is a request carried out); count N drops N replies', async () => {
    sim.setFaults({ dropReply: { count: 2 } });
    await expect(api.get('/environments/')).rejects.toThrow(/fetch failed/);
    await expect(api.get('/deployments/no-such-plan/')).rejects.toThrow(/fetch failed/);
    expect((await api.get('/environments/')).status).toBe(200);
    expect(log()).toEqual([
      'GET /environments/ 200 dropped',
      'GET /deployments/no-such-plan/ 404 dropped',
      'GET /environments/ 200',
    ]);
  });

  test('match restricts it to start: the status GET in between and the create are answered', async () => {
    sim.setFaults({ dropReply: { count: 1 }, match: { method: 'POST', path: '^/deployments/[^/]+/start/?$' } });
    const key = await api.create([K.employeeBackoffice10]);
    expect((await api.status(key)).DeploymentStatus).toBe('saved');
    await expect(api.post(START(key))).rejects.toThrow(/fetch failed/);
    expect(sim.plan(key).started).toBe(true);
    expect((await api.status(key)).DeploymentStatus).toBe('running');
    expect((await api.post(START(key))).status).toBe(400);
    expect(log()).toEqual([
      'POST /deployments/ 201',
      `GET /deployments/${key}/status/ 200`,
      `POST /deployments/${key}/start/ 202 dropped`,
      `GET /deployments/${key}/status/ 200`,
      `POST /deployments/${key}/start/ 400`,
    ]);
  });

  test('other faults win: a reset or 503 request is not carried out and does not use up dropReply', async () => {
    sim.setFaults({ dropReply: { count: 1 }, resetConnection: { count: 1 }, errorEvery: 2 });
    await expect(api.get('/environments/')).rejects.toThrow(/fetch failed/);
    expect((await api.get('/environments/')).status).toBe(503);
    await expect(api.get('/environments/')).rejects.toThrow(/fetch failed/);
    expect(log()).toEqual(['GET /environments/ 0', 'GET /environments/ 503', 'GET /environments/ 200 dropped']);
  });

  test('the admin API accepts it, shows the remaining count, and refuses a bad count', async () => {
    const set = await api.admin('POST', '/faults', { dropReply: { count: 2 }, match: { method: 'DELETE' } });
    expect(set.status).toBe(200);
    expect(set.json()).toMatchObject({ dropReply: { count: 2 }, matched: 0 });
    const key = await api.create([K.employeeBackoffice10]);
    await expect(api.del(`/deployments/${key}/`)).rejects.toThrow(/fetch failed/);
    expect((await api.admin('GET', '/faults')).json()).toMatchObject({ dropReply: { count: 1 }, matched: 1 });
    const bad = await api.admin('POST', '/faults', { dropReply: { count: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.json<{ Errors: string[] }>().Errors.join('\n')).toContain('dropReply.count');
  });
});
