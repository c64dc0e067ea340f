import { describe, expect, it } from 'vitest';
import type { StoredSpan } from '../telemetry/span-store.ts';
import { serviceMap } from './service-map.ts';

const now = 1_000_000;
let n = 0;
function span(startMs: number, durationMs: number, attributes: Record<string, unknown>, kind: StoredSpan['kind'] = 'server', status: StoredSpan['status'] = 'ok'): StoredSpan {
  n++;
  return { traceId: 't'.repeat(32), spanId: String(n).padStart(16, '0'), parentSpanId: undefined, name: 'x', kind, service: 's', startMs, durationMs, status, attributes };
}
const call = (caller: string, module: string, startMs: number, durationMs: number, status: StoredSpan['status'] = 'ok') =>
  span(startMs, durationMs, { 'rpc.system': 'cleave', 'rpc.service': module, 'rpc.method': 'op', 'cleave.caller': caller }, 'server', status);

describe('serviceMap', () => {
  it('one edge per caller → callee and publisher → subscriber, with rate, percentiles and errors over the observed time', () => {
    const spans = [
      ...Array.from({ length: 100 }, (_, i) => call('gateway', 'posts', now - 10_000 + i * 100, i + 1, i === 0 ? 'error' : 'ok')),
      call('posts', 'users', now - 5_000, 3),
      // The client side of a remote call is the same edge seen from the caller: not counted twice.
      span(now - 5_000, 4, { 'rpc.system': 'cleave', 'rpc.service': 'users', 'cleave.target': 'users' }, 'client'),
      span(now - 2_000, 7, { 'messaging.operation.type': 'process', 'cleave.module': 'notifications', 'cleave.publisher': 'users' }, 'consumer'),
      // Older than the window, and a span that is no edge (a database query).
      call('gateway', 'posts', now - 400_000, 1),
      span(now - 1_000, 1, { 'db.system': 'postgresql' }, 'client'),
    ];
    const map = serviceMap(spans, { posts: 'posts', users: 'users', notifications: 'notifications' }, 'gateway', now, 300_000);
    expect(map.nodes.map((node) => node.id)).toEqual(['gateway', 'posts', 'users', 'notifications']);
    expect(map.edges).toEqual([
      { from: 'gateway', to: 'posts', kind: 'call', count: 100, perSecond: 10, errors: 1, p50Ms: 50, p99Ms: 99 },
      { from: 'posts', to: 'users', kind: 'call', count: 1, perSecond: 0.1, errors: 0, p50Ms: 3, p99Ms: 3 },
      { from: 'users', to: 'notifications', kind: 'event', count: 1, perSecond: 0.1, errors: 0, p50Ms: 7, p99Ms: 7 },
    ]);
  });

  it('every module is a node before any traffic', () => {
    expect(serviceMap([], { orders: 'commerce', inventory: 'commerce' }, 'gateway', now)).toEqual({
      windowSeconds: 300,
      nodes: [{ id: 'gateway', service: 'gateway' }, { id: 'orders', service: 'commerce' }, { id: 'inventory', service: 'commerce' }],
      edges: [],
    });
  });
});
