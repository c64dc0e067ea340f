import proxyaddr from '@fastify/proxy-addr';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * Which `X-Forwarded-For` entries to believe: none (`false`), the last `hops` ones (each
 * trusted proxy appends the address it saw), or those written by proxies at the listed
 * addresses and subnets (`10.0.0.0/8`, `loopback`, `uniquelocal`…).
 */
export type TrustProxy = false | { readonly hops: number } | { readonly addresses: readonly string[] };

/**
 * `CLEAVE_TRUST_PROXY`: unset, `0` or `false` → trust no proxy (the socket's peer is the
 * client); a number N → N proxies in front (`1` and `true`: one); otherwise a
 * comma-separated list of proxy addresses or subnets.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = value?.trim() ?? '';
  if (text === '' || text === '0' || text === 'false') return false;
  if (text === 'true') return { hops: 1 };
  if (/^\d+$/.test(text)) return { hops: Number(text) };
  const addresses = text.split(',').map((a) => a.trim()).filter(Boolean);
  proxyaddr.compile(addresses); // throws now, at start, on an address that is not one
  return { addresses };
}

/** A compiled trust check for proxy-addr; compiled once per gateway. */
export type TrustCheck = (addr: string, hop: number) => boolean;

export function trustCheck(trust: TrustProxy): TrustCheck | undefined {
  if (trust === false) return undefined;
  if ('hops' in trust) return (_addr, hop) => hop < trust.hops;
  return proxyaddr.compile([...trust.addresses]);
}

/**
 * The client's address for rate limiting: walking `X-Forwarded-For` from the right (the
 * socket's peer first), the first address not vouched for by a trusted proxy. The
 * left-most entry is whatever the client wrote, so it is never taken on trust
 * (proxy-addr, Express's and Fastify's implementation of exactly this).
 */
export function clientAddress(socketAddress: string, forwardedFor: string | undefined, trust: TrustCheck | undefined): string {
  if (trust === undefined) return socketAddress;
  const req = { headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }, socket: { remoteAddress: socketAddress } };
  return proxyaddr(req as unknown as IncomingMessage, trust);
}

export function clientIp(c: Context, trust: TrustCheck | undefined): string {
  let socket: string;
  try {
    socket = getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    socket = 'unknown'; // in-process `app.request()` has no socket
  }
  return clientAddress(socket, c.req.header('x-forwarded-for'), trust);
}
