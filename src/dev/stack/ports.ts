/**
 * Loopback ports for the stack, all below 32768. The Temporal server keeps its membership ports in a SMALLINT
 * column (cluster_membership.rpc_port) and breaks on one above 32767, and the kernel hands out ephemeral ports
 * from 32768 up, so `listen(0)` is no good here. Ports are drawn at random from a low range and kept only when
 * nothing listens on them; a port is never handed out twice by one process.
 */
import { portIsFree } from '../dev-server';

export const LOW_PORT_MIN = 20_000;
/** Exclusive: the first port the server cannot store. */
export const LOW_PORT_LIMIT = 32_768;

const handedOut = new Set<number>();

export async function freeLowPort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const port = LOW_PORT_MIN + Math.floor(Math.random() * (LOW_PORT_LIMIT - LOW_PORT_MIN));
    if (handedOut.has(port)) continue;
    handedOut.add(port); // before the await: concurrent callers never get the same port
    if (await portIsFree(port, host)) return port;
    handedOut.delete(port);
  }
  throw new Error(`no free port on ${host} between ${LOW_PORT_MIN} and ${LOW_PORT_LIMIT - 1}`);
}

export async function freeLowPorts<K extends string>(
  names: readonly K[],
  host = '127.0.0.1',
): Promise<Record<K, number>> {
  const out = {} as Record<K, number>;
  for (const name of names) out[name] = await freeLowPort(host);
  return out;
}
