/**
 * Small real servers for the LifeTime client tests: a scriptable HTTP(S) server that records every request,
 * a forward proxy (absolute-URI requests and CONNECT tunnels) that counts what passes through it, and a
 * server that accepts connections and never answers.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

export const API = '/lifetimeapi/rest/v2';

export interface Recorded {
  method: string;
  /** Path relative to the API base (e.g. `/deployments/`), without the query. */
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Handler = (req: Recorded, res: http.ServerResponse) => void;

export interface TestServer {
  /** `http://127.0.0.1:<port>` (https for TLS servers). */
  origin: string;
  requests: Recorded[];
  /** Replaced by each test. Default: 404 with an Exception body. */
  handler: Handler;
  close(): Promise<void>;
}

/** Sends a JSON value, a plain-text string, or nothing. */
export function reply(
  res: http.ServerResponse,
  status: number,
  body?: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
  } else if (typeof body === 'string') {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(body);
  } else {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
  }
}

/** LifeTime's Exception body. */
export const exception = (status: number, ...errors: string[]) => ({ Errors: errors, StatusCode: status });

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: http.Server | net.Server): Promise<void> {
  if (server instanceof http.Server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startServer(tls?: { key: string; cert: string }): Promise<TestServer> {
  const state = {
    requests: [] as Recorded[],
    handler: ((_req, res) => reply(res, 404, exception(404, 'no handler'))) as Handler,
  };
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const rec: Recorded = {
        method: req.method ?? '',
        path: url.pathname.startsWith(API) ? url.pathname.slice(API.length) : url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      state.requests.push(rec);
      state.handler(rec, res);
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  const port = await listen(server);
  return {
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get handler() {
      return state.handler;
    },
    set handler(h: Handler) {
      state.handler = h;
    },
    close: () => closeServer(server),
  };
}

export interface TestProxy {
  origin: string;
  /** Request lines of absolute-URI requests (`GET http://…`). */
  forwarded: { method: string; url: string; proxyAuthorization?: string }[];
  /** CONNECT targets (`127.0.0.1:1234`). */
  connects: { target: string; proxyAuthorization?: string }[];
  close(): Promise<void>;
}

/** A forward proxy: relays absolute-URI requests and opens CONNECT tunnels. */
export async function startProxy(): Promise<TestProxy> {
  const forwarded: TestProxy['forwarded'] = [];
  const connects: TestProxy['connects'] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    forwarded.push({
      method: req.method ?? '',
      url: req.url ?? '',
      proxyAuthorization: req.headers['proxy-authorization'],
    });
    const { 'proxy-authorization': _pa, ...headers } = req.headers;
    const upstream = http.request(req.url ?? '', { method: req.method, headers, agent: false }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    connects.push({ target, proxyAuthorization: req.headers['proxy-authorization'] });
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const upstream = net.connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
  });
  const port = await listen(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    forwarded,
    connects,
    close: () => {
      for (const s of sockets) s.destroy();
      return closeServer(server);
    },
  };
}

/** Accepts TCP connections and never answers; counts them. */
export async function startSilentServer(): Promise<{
  origin: string;
  connections: () => number;
  close(): Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: () => {
      for (const s of sockets) s.destroy();
      return closeServer(server);
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
}
