/**
 * HTTP(S) proxy support with Node built-ins only.
 *
 * - http:// targets: the request goes to the proxy with an absolute URI (`GET http://host/path HTTP/1.1`),
 *   the classic forward-proxy form (`requestViaProxy`, used as got's `request` function).
 * - https:// targets: a CONNECT tunnel to the target, then TLS inside it (`TunnelAgent`, used as got's
 *   `agent.https`), so the proxy never sees the Authorization header.
 *
 * Proxy credentials (`http://user:pass@proxy:3128`) become a `Proxy-Authorization: Basic` header; they are
 * never put in error messages.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { parseHttpUrl } from './url';

export interface ProxyConfig {
  url: URL;
  /** `Basic …` when the proxy URL carries credentials. */
  authorization?: string;
  /** Strings that must never appear in messages (the password and the encoded header). */
  secrets: string[];
}

/** Parses the `proxy` option. Throws a TypeError that does not echo credentials. */
export function parseProxy(raw: string): ProxyConfig {
  const url = parseHttpUrl(raw, 'http', 'proxy', 'http://host:port or https://host:port');
  const secrets: string[] = [];
  let authorization: string | undefined;
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    const encoded = Buffer.from(`${user}:${pass}`).toString('base64');
    authorization = `Basic ${encoded}`;
    secrets.push(encoded);
    if (pass) secrets.push(pass, url.password);
    url.username = '';
    url.password = '';
  }
  return { url, authorization, secrets };
}

const proxyPort = (url: URL): number => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

/** An error from the proxy itself, with a code the error conversion in http.ts understands. */
export class ProxyConnectError extends Error {
  readonly code: string;
  constructor(
    readonly statusCode: number,
    target: string,
  ) {
    super(`proxy refused CONNECT to ${target}: ${statusCode} ${http.STATUS_CODES[statusCode] ?? ''}`.trim());
    this.name = 'ProxyConnectError';
    this.code = statusCode === 407 ? 'ERR_PROXY_AUTH' : 'ERR_PROXY_CONNECT';
  }
}

/** Opens a raw connection to the proxy (plain or TLS). */
function requestToProxy(proxy: ProxyConfig, options: http.RequestOptions): http.ClientRequest {
  const base = { host: proxy.url.hostname.replace(/^\[|\]$/g, ''), port: proxyPort(proxy.url) };
  return proxy.url.protocol === 'https:'
    ? https.request({ ...base, ...options })
    : http.request({ ...base, ...options });
}

/** An https.Agent whose connections are CONNECT tunnels through the proxy. */
export class TunnelAgent extends https.Agent {
  constructor(private readonly proxy: ProxyConfig) {
    super({ keepAlive: true });
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const done = callback ?? (() => undefined);
    const host = (options.hostname ?? options.host ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port ?? 443);
    const target = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
    const headers: http.OutgoingHttpHeaders = { host: target };
    if (this.proxy.authorization) headers['proxy-authorization'] = this.proxy.authorization;
    const connect = requestToProxy(this.proxy, { method: 'CONNECT', path: target, headers, agent: false });
    connect.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        done(new ProxyConnectError(res.statusCode ?? 0, target), undefined as unknown as Duplex);
        return;
      }
      const servername = options.servername || (net.isIP(host) ? undefined : host);
      const secure = tls.connect({ ...(options as tls.ConnectionOptions), host, port, socket, servername });
      done(null, secure);
    });
    connect.once('error', (err) => done(err, undefined as unknown as Duplex));
    connect.end();
    return undefined;
  }
}

/**
 * got `request` function: sends http:// requests to the proxy in absolute-URI form. Returns undefined for
 * https:// URLs so got uses its default (with the TunnelAgent).
 */
export function proxyRequestFunction(proxy: ProxyConfig) {
  const agent =
    proxy.url.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  return (url: URL, options: http.RequestOptions): http.ClientRequest | undefined => {
    if (url.protocol !== 'http:') return undefined;
    const given =
      options.headers && !Array.isArray(options.headers) ? (options.headers as http.OutgoingHttpHeaders) : {};
    const headers: http.OutgoingHttpHeaders = { ...given, host: url.host };
    if (proxy.authorization) headers['proxy-authorization'] = proxy.authorization;
    const { host: _h, hostname: _hn, port: _p, path: _path, agent: _a, ...rest } = options;
    return requestToProxy(proxy, { ...rest, path: url.href, headers, agent });
  };
}
