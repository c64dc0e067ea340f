import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does to traffic, switchable while connections are open. */
export type Fault =
  | { readonly kind: 'none' }
  /** Delays every chunk in both directions. */
  | { readonly kind: 'latency'; readonly ms: number }
  /** Resets every new connection at once, and every open one. */
  | { readonly kind: 'reset' }
  /** Accepts connections and swallows their bytes: no answer, no close. */
  | { readonly kind: 'blackhole' }
  /** Forwards the answer a few bytes at a time. */
  | { readonly kind: 'drip'; readonly bytes: number; readonly everyMs: number };

export interface FaultProxy {
  readonly url: string;
  readonly port: number;
  set(fault: Fault): void;
  close(): Promise<void>;
}

/**
 * A small TCP proxy between two services, for fault tests (toxiproxy is not packaged
 * for this machine; this is the few toxics the tests need). Faults apply to connections
 * open at the switch too, so a keep-alive pool cannot dodge them.
 */
export async function startFaultProxy(targetPort: number, host = '127.0.0.1'): Promise<FaultProxy> {
  let fault: Fault = { kind: 'none' };
  const pairs = new Set<[Socket, Socket]>();

  const forward = (from: Socket, to: Socket, upstream: boolean) => {
    from.on('data', (chunk: Buffer) => {
      const now = fault;
      if (now.kind === 'blackhole') return;
      if (now.kind === 'latency') {
        from.pause();
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
          from.resume();
        }, now.ms);
        return;
      }
      if (now.kind === 'drip' && !upstream) {
        from.pause();
        let offset = 0;
        const tick = setInterval(() => {
          if (to.destroyed || offset >= chunk.length) {
            clearInterval(tick);
            from.resume();
            return;
          }
          to.write(chunk.subarray(offset, offset + now.bytes));
          offset += now.bytes;
        }, now.everyMs);
        return;
      }
      to.write(chunk);
    });
  };

  const server = createServer((client) => {
    if (fault.kind === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const target = connect(targetPort, host);
    const pair: [Socket, Socket] = [client, target];
    pairs.add(pair);
    for (const s of pair) {
      s.on('error', () => {});
      s.on('close', () => {
        pairs.delete(pair);
        client.destroy();
        target.destroy();
      });
    }
    forward(client, target, true);
    forward(target, client, false);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    set(next) {
      fault = next;
      if (next.kind === 'reset') for (const [client, target] of pairs) { client.resetAndDestroy(); target.destroy(); }
    },
    async close() {
      for (const [client, target] of pairs) { client.destroy(); target.destroy(); }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
