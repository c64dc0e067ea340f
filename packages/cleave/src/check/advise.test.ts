import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoredSpan } from '../telemetry/span-store.ts';
import { advise, DEFAULT_HOP, hopLatency, suggestedTopology } from './advise.ts';

let seq = 0;
/** A span as the framework records it (see span-analysis.ts). */
function span(traceId: string, parent: StoredSpan | undefined, name: string, durationMs: number, attributes: Record<string, unknown> = {}): StoredSpan {
  seq += 1;
  return { traceId, spanId: `s${seq}`, parentSpanId: parent?.spanId, name, kind: 'internal', service: 'app', startMs: seq, durationMs, status: 'ok', attributes };
}
const op = (t: string, parent: StoredSpan | undefined, module: string, caller: string, ms: number) => span(t, parent, `${module}.op`, ms, { 'cleave.module': module, 'cleave.caller': caller });

/** 10 requests: 6 read a post (posts → users), 4 place an order (orders → inventory, payments); 4 renames fan out to posts as events; a CPU-heavy media module. */
function recorded(): StoredSpan[] {
  const spans: StoredSpan[] = [];
  for (let i = 0; i < 6; i += 1) {
    const edge = span(`p${i}`, undefined, 'GET /api/v1/posts/:id', 3);
    const posts = op(`p${i}`, edge, 'posts', 'gateway', 2);
    spans.push(edge, posts, op(`p${i}`, posts, 'users', 'posts', 1));
  }
  for (let i = 0; i < 4; i += 1) {
    const edge = span(`o${i}`, undefined, 'POST /api/v1/orders', 9);
    const orders = op(`o${i}`, edge, 'orders', 'gateway', 8);
    spans.push(edge, orders, op(`o${i}`, orders, 'inventory', 'orders', 1), op(`o${i}`, orders, 'payments', 'orders', 2), op(`o${i}`, orders, 'inventory', 'orders', 1));
    spans.push(span(`e${i}`, undefined, 'consume image.uploaded.v1', 40, { 'cleave.module': 'media', 'cleave.publisher': 'posts' }));
  }
  return spans;
}
const modules = ['users', 'posts', 'inventory', 'payments', 'orders', 'media'];

describe('cleave advise', () => {
  it('measures per module: request share, calls in and out, sync depth, self-time share, events', () => {
    const { traffic } = advise(recorded(), modules);
    const t = Object.fromEntries(traffic.modules.map((m) => [m.module, m]));
    expect(traffic.requests).toBe(14);
    expect(t.posts).toMatchObject({ requestShare: 0.429, callsInPerRequest: 1, callsOutPerRequest: 1, maxSyncDepth: 1, eventsOut: 4 });
    expect(t.inventory).toMatchObject({ callsInPerRequest: 2, maxSyncDepth: 2 });
    expect(t.media).toMatchObject({ requestShare: 0, eventsIn: 4 });
    expect(t.media!.cpuShare).toBeGreaterThan(0.5);
  });

  it('predicts each extraction\'s cost, ranks with the seed\'s reasons, and recommends one module, never all', () => {
    const a = advise(recorded(), modules);
    const cost = (g: string) => a.ranked.find((c) => c.modules.join('+') === g);
    // Payments alone: 4 calls from orders in 14 requests cross the new boundary.
    expect(cost('payments')).toMatchObject({ addedHopsPerRequest: 0.286, requestsFailingWhenDown: 0.286 });
    expect(cost('payments')!.addedLatencyP50Ms).toBeCloseTo(0.286 * DEFAULT_HOP.p50Ms, 3);
    // Inventory with its chatty neighbour orders: only the edge → orders and orders → payments calls cross.
    expect(cost('inventory+orders')!.addedHopsPerRequest).toBeLessThan(cost('inventory')!.addedHopsPerRequest + cost('orders')!.addedHopsPerRequest);
    expect(a.ranked.filter((c) => c.reasons.length > 0).map((c) => c.modules.join('+'))).toEqual(expect.arrayContaining(['media', 'payments']));
    // Media costs no request latency at all (background work, CPU-heavy): first.
    expect(a.recommendation?.modules).toEqual(['media']);
    expect(a.words).toMatch(/^Extract one module at a time: media first .* Don't extract everything\. Keep core monolith\.$/);
    expect(a.ranked.some((c) => c.modules.length === modules.length)).toBe(false);
  });

  it('keeps the monolith when no module shows a reason', () => {
    const rest = recorded().filter((s) => !['payments', 'media'].includes(s.attributes['cleave.module'] as string));
    // Orders' own time is 55 % of what is left: CPU-heavy at the default 30 %, not at 60 %.
    expect(advise(rest, ['users', 'posts', 'inventory', 'orders']).recommendation?.reasons).toEqual([expect.stringMatching(/^orders: CPU-heavy\? 55%/)]);
    const a = advise(rest, ['users', 'posts', 'inventory', 'orders'], { cpuHeavyShare: 0.6 });
    expect(a.recommendation).toBeUndefined();
    expect(a.words).toMatch(/^Keep the monolith/);
  });

  it('reads the hop latency from bench results when present, and writes a topology keeping the core', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cleave-advise-'));
    try {
      await writeFile(join(dir, 'b.json'), JSON.stringify({ rows: [{ id: 'cleave-http', sequential: { p50: 50, p99: 400 } }] }));
      expect(hopLatency(join(dir, 'b.json'))).toMatchObject({ p50Ms: 0.05, p99Ms: 0.4 });
      expect(hopLatency(join(dir, 'missing.json'))).toBe(DEFAULT_HOP);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(suggestedTopology(modules, ['payments'], 'extract-payments')).toContain("core: { modules: ['users', 'posts', 'inventory', 'orders', 'media'], roles: ['gateway'], port: 4000 }");
  });
});
