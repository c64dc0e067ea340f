import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** A finished span, flattened for the dashboard and `cleave trace`. */
export interface StoredSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly service: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly status: 'ok' | 'error';
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * Keeps the most recent finished spans (at least `capacity`, at most 1.5x) in memory: the embedded default, so a developer
 * sees traces without running a collector. Bounded, oldest first out.
 */
export class SpanStore implements SpanExporter {
  readonly #spans: StoredSpan[] = [];
  readonly #capacity: number;
  readonly #service: string;

  constructor(service: string, capacity = 10_000) {
    this.#service = service;
    this.#capacity = capacity;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const ctx = span.spanContext();
      const [sec, ns] = span.startTime;
      const [dsec, dns] = span.duration;
      this.#spans.push({
        traceId: ctx.traceId,
        spanId: ctx.spanId,
        parentSpanId: span.parentSpanContext?.spanId,
        name: span.name,
        service: this.#service,
        startMs: sec * 1e3 + ns / 1e6,
        durationMs: dsec * 1e3 + dns / 1e6,
        status: span.status.code === 2 ? 'error' : 'ok',
        attributes: { ...span.attributes },
      });
    }
    // Trim in chunks: removing one span from the front of a full array on every export
    // made each traced call ~5 µs slower (bench/call-overhead.ts).
    if (this.#spans.length > this.#capacity * 1.5) this.#spans.splice(0, this.#spans.length - this.#capacity);
    done({ code: 0 });
  }

  /** Spans of one trace, in start order. */
  trace(traceId: string): StoredSpan[] {
    return this.#spans.filter((s) => s.traceId === traceId).sort((a, b) => a.startMs - b.startMs);
  }

  all(): readonly StoredSpan[] {
    return this.#spans;
  }

  async shutdown(): Promise<void> {}
}
