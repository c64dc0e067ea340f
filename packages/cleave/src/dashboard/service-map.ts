import type { StoredSpan } from '../telemetry/span-store.ts';

/** The edge of the system: requests enter through it. */
export const GATEWAY_NODE = 'gateway';

export interface MapNode {
  readonly id: string;
  /** The service hosting the module (the gateway node: the gateway's service). */
  readonly service: string;
}

export interface MapEdge {
  readonly from: string;
  readonly to: string;
  /** `call`: an operation call (caller → callee); `event`: events handled (publisher → subscriber). */
  readonly kind: 'call' | 'event';
  readonly count: number;
  readonly perSecond: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface ServiceMap {
  readonly windowSeconds: number;
  readonly nodes: readonly MapNode[];
  readonly edges: readonly MapEdge[];
}

/** Nearest rank: of values already sorted ascending. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

/** Which edge a span observes, if any: the callee side of a call, or an event handled by a subscriber. */
function edgeOf(span: StoredSpan): { from: string; to: string; kind: MapEdge['kind'] } | undefined {
  const a = span.attributes;
  if (span.kind === 'server' && a['rpc.system'] === 'cleave' && typeof a['rpc.service'] === 'string') {
    return { from: String(a['cleave.caller'] ?? GATEWAY_NODE), to: a['rpc.service'], kind: 'call' };
  }
  if (a['messaging.operation.type'] === 'process' && typeof a['cleave.module'] === 'string') {
    return { from: String(a['cleave.publisher'] ?? '?'), to: a['cleave.module'], kind: 'event' };
  }
  return undefined;
}

/**
 * Module → module edges drawn from observed spans (the gateway's store holds every
 * service's in a split system): calls per second, p50/p99 and errors over the last
 * `windowMs`. Rates divide by the time actually observed within the window (a store that
 * started a minute ago is not averaged over five). Every module is a node, called or not.
 */
export function serviceMap(spans: readonly StoredSpan[], placement: Readonly<Record<string, string>>, gatewayService: string, now: number, windowMs = 300_000): ServiceMap {
  const since = now - windowMs;
  const groups = new Map<string, { from: string; to: string; kind: MapEdge['kind']; durations: number[]; errors: number }>();
  let earliest = now;
  for (const span of spans) {
    if (span.startMs < since) continue;
    const edge = edgeOf(span);
    if (edge === undefined) continue;
    earliest = Math.min(earliest, span.startMs);
    const key = `${edge.kind}:${edge.from}>${edge.to}`;
    const group = groups.get(key) ?? { ...edge, durations: [], errors: 0 };
    group.durations.push(span.durationMs);
    if (span.status === 'error') group.errors++;
    groups.set(key, group);
  }
  const seconds = Math.max(1, (now - earliest) / 1000);
  const edges = [...groups.values()].map((g): MapEdge => {
    const sorted = g.durations.sort((a, b) => a - b);
    return { from: g.from, to: g.to, kind: g.kind, count: sorted.length, perSecond: sorted.length / seconds, errors: g.errors, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
  });
  const nodes: MapNode[] = [{ id: GATEWAY_NODE, service: gatewayService }, ...Object.entries(placement).map(([id, service]) => ({ id, service }))];
  return { windowSeconds: windowMs / 1000, nodes, edges: edges.sort((a, b) => b.count - a.count) };
}
