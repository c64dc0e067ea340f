import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export type StoredSpanKind = 'server' | 'client' | 'internal' | 'producer' | 'consumer';
const kindNames: readonly StoredSpanKind[] = ['internal', 'server', 'client', 'producer', 'consumer'];

/** A finished span, flattened for the dashboard and `cleave trace`. */
export interface StoredSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: StoredSpanKind;
  readonly service: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly status: 'ok' | 'error';
  readonly statusMessage?: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export function storedSpan(span: ReadableSpan, service: string): StoredSpan {
  const ctx = span.spanContext();
  const [sec, ns] = span.startTime;
  const [dsec, dns] = span.duration;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: kindNames[span.kind] ?? 'internal',
    service,
    startMs: sec * 1e3 + ns / 1e6,
    durationMs: dsec * 1e3 + dns / 1e6,
    status: span.status.code === 2 ? 'error' : 'ok',
    ...(span.status.message ? { statusMessage: span.status.message } : {}),
    attributes: { ...span.attributes },
  };
}

/** One trace at a glance, for `cleave trace --last/--slowest` and the dashboard's list. */
export interface TraceSummary {
  readonly traceId: string;
  readonly root: string;
  readonly service: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly spans: number;
  readonly errors: number;
}

/**
 * Keeps the most recent finished spans (at least `capacity`, at most 1.5x) in memory: the
 * embedded default, so a developer sees whole traces without running a collector. Fed by
 * a BatchSpanProcessor (this process's spans) and by `add` (spans forwarded by the other
 * services of a split system). Bounded, oldest first out.
 */
export class SpanStore implements SpanExporter {
  // This process's spans are kept as the SDK hands them over and flattened when read:
  // the export runs on the event loop between requests, so it should cost one push.
  #spans: (StoredSpan | ReadableSpan)[] = [];
  readonly #capacity: number;
  readonly #service: string;

  constructor(service: string, capacity = 20_000) {
    this.#service = service;
    this.#capacity = capacity;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.add(spans);
    done({ code: 0 });
  }

  add(spans: readonly (StoredSpan | ReadableSpan)[]): void {
    for (const span of spans) this.#spans.push(span);
    // Trim in chunks: removing from the front of a full array on every export is O(n) each time.
    if (this.#spans.length > this.#capacity * 1.5) this.#spans = this.#spans.slice(this.#spans.length - this.#capacity);
  }

  #flat(span: StoredSpan | ReadableSpan): StoredSpan {
    return 'spanContext' in span ? storedSpan(span, this.#service) : span;
  }

  /** Spans of one trace, in start order. */
  trace(traceId: string): StoredSpan[] {
    const found: StoredSpan[] = [];
    for (const span of this.#spans) {
      const id = 'spanContext' in span ? span.spanContext().traceId : span.traceId;
      if (id === traceId) found.push(this.#flat(span));
    }
    return found.sort((a, b) => a.startMs - b.startMs);
  }

  all(): readonly StoredSpan[] {
    return this.#spans.map((s) => this.#flat(s));
  }

  /** The most recent traces first (by start), or the slowest first; at most `limit`. */
  traces(limit = 50, order: 'recent' | 'slowest' = 'recent'): TraceSummary[] {
    const byTrace = new Map<string, StoredSpan[]>();
    for (const span of this.all()) {
      const list = byTrace.get(span.traceId);
      if (list) list.push(span);
      else byTrace.set(span.traceId, [span]);
    }
    const summaries = [...byTrace.entries()].map(([traceId, spans]) => summarize(traceId, spans));
    summaries.sort(order === 'slowest' ? (a, b) => b.durationMs - a.durationMs : (a, b) => b.startMs - a.startMs);
    return summaries.slice(0, limit);
  }

  async shutdown(): Promise<void> {}
}

function summarize(traceId: string, spans: readonly StoredSpan[]): TraceSummary {
  const ids = new Set(spans.map((s) => s.spanId));
  // The root: a span without a parent, or whose parent is not here (started by an unseen caller).
  const root = spans.find((s) => s.parentSpanId === undefined) ?? spans.find((s) => !ids.has(s.parentSpanId ?? '')) ?? spans[0]!;
  const start = Math.min(...spans.map((s) => s.startMs));
  const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  return { traceId, root: root.name, service: root.service, startMs: start, durationMs: end - start, spans: spans.length, errors: spans.filter((s) => s.status === 'error').length };
}
