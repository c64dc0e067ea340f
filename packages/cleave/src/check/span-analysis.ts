import type { StoredSpan } from '../telemetry/span-store.ts';

/** What recorded traces say about one module. */
export interface ModuleTraffic {
  readonly module: string;
  /** Share of requests (traces) with at least one operation of this module in them. */
  readonly requestShare: number;
  /** Per request that touches the module: calls into it from other modules or the edge, and calls it makes to other modules. */
  readonly callsInPerRequest: number;
  readonly callsOutPerRequest: number;
  /** Deepest synchronous position: 1 = called by the edge, 2 = by a module called by the edge… */
  readonly maxSyncDepth: number;
  /** Share of all modules' self time (span time minus child span time): the stand-in for CPU time. */
  readonly cpuShare: number;
  readonly eventsIn: number;
  readonly eventsOut: number;
}

export interface TrafficReport {
  readonly requests: number;
  readonly spans: number;
  readonly modules: readonly ModuleTraffic[];
  /** Synchronous calls between two modules (or `edge` → module), per request, keyed `caller>callee`. */
  readonly callsPerRequest: Readonly<Record<string, number>>;
}

const EDGE = 'edge';

/**
 * Reads spans as the framework records them: an operation's server span is named by its
 * id and carries `cleave.module` and `cleave.caller`; an event's consumer span carries
 * `cleave.module` (subscriber) and `cleave.publisher`. A request is a trace.
 */
export function analyseSpans(spans: readonly StoredSpan[], modules: readonly string[]): TrafficReport {
  const known = new Set(modules);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const traces = new Set(spans.map((s) => s.traceId));
  const requests = Math.max(1, traces.size);
  const moduleOf = (s: StoredSpan) => (typeof s.attributes['cleave.module'] === 'string' ? (s.attributes['cleave.module'] as string) : undefined);
  const isOperation = (s: StoredSpan) => moduleOf(s) !== undefined && s.attributes['cleave.publisher'] === undefined && s.attributes['cleave.caller'] !== undefined;
  const isConsumer = (s: StoredSpan) => moduleOf(s) !== undefined && s.attributes['cleave.publisher'] !== undefined;
  const callerOf = (s: StoredSpan) => {
    const c = s.attributes['cleave.caller'];
    return typeof c === 'string' && known.has(c) ? c : EDGE;
  };
  const childTime = new Map<string, number>();
  for (const s of spans) if (s.parentSpanId) childTime.set(s.parentSpanId, (childTime.get(s.parentSpanId) ?? 0) + s.durationMs);
  // Operation spans of other modules above this one; a saga step's call hangs off the
  // saga's span rather than its owner's operation, so a module caller counts at least once.
  const depth = (s: StoredSpan): number => {
    let d = 1;
    for (let p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined; p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) {
      if (isOperation(p) && moduleOf(p) !== moduleOf(s)) d += 1;
    }
    return callerOf(s) === EDGE ? d : Math.max(d, 2);
  };
  const calls: Record<string, number> = {};
  const selfTime = new Map<string, number>();
  for (const s of spans) {
    const m = moduleOf(s);
    if (m === undefined || !known.has(m)) continue;
    selfTime.set(m, (selfTime.get(m) ?? 0) + Math.max(0, s.durationMs - (childTime.get(s.spanId) ?? 0)));
    if (isOperation(s) && callerOf(s) !== m) calls[`${callerOf(s)}>${m}`] = (calls[`${callerOf(s)}>${m}`] ?? 0) + 1;
  }
  const totalSelf = [...selfTime.values()].reduce((a, b) => a + b, 0) || 1;
  const report = modules.map((m): ModuleTraffic => {
    const own = spans.filter((s) => moduleOf(s) === m);
    const touched = new Set(own.filter(isOperation).map((s) => s.traceId)).size;
    const perTouched = (n: number) => (touched === 0 ? 0 : round(n / touched));
    const callsIn = Object.entries(calls).filter(([k]) => k.endsWith(`>${m}`)).reduce((a, [, n]) => a + n, 0);
    const callsOut = Object.entries(calls).filter(([k]) => k.startsWith(`${m}>`)).reduce((a, [, n]) => a + n, 0);
    return {
      module: m,
      requestShare: round(touched / requests),
      callsInPerRequest: perTouched(callsIn),
      callsOutPerRequest: perTouched(callsOut),
      maxSyncDepth: Math.max(0, ...own.filter(isOperation).map(depth)),
      cpuShare: round((selfTime.get(m) ?? 0) / totalSelf),
      eventsIn: own.filter(isConsumer).length,
      eventsOut: spans.filter((s) => isConsumer(s) && s.attributes['cleave.publisher'] === m).length,
    };
  });
  return { requests: traces.size, spans: spans.length, modules: report, callsPerRequest: Object.fromEntries(Object.entries(calls).map(([k, n]) => [k, round(n / requests)])) };
}

export const round = (n: number) => Math.round(n * 1000) / 1000;
