import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace as otelTrace } from '@opentelemetry/api';
import type { Span, Tracer as OtelTracer } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanStore } from './span-store.ts';
import type { TraceContext } from './trace-context.ts';

export type SpanKindName = 'server' | 'client' | 'internal' | 'producer' | 'consumer';
const kinds: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  internal: SpanKind.INTERNAL,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

/** A started span and the trace context its children should carry. */
export interface ActiveSpan {
  readonly trace: TraceContext;
  end(error?: unknown): void;
  setAttribute(key: string, value: string | number | boolean): void;
}

/**
 * The framework's view of tracing: start a span as a child of a trace context we carry
 * explicitly (on every call and event), rather than through async-local context, so the
 * hot path pays for no context manager. Spans go through the OpenTelemetry SDK, so any
 * exporter (OTLP, console) plugs in; the embedded default keeps them in a SpanStore.
 */
export interface Tracer {
  readonly enabled: boolean;
  readonly store: SpanStore | undefined;
  startSpan(name: string, parent: TraceContext, kind: SpanKindName, attributes?: Record<string, string | number | boolean>): ActiveSpan;
  shutdown(): Promise<void>;
}

class DisabledSpan implements ActiveSpan {
  constructor(readonly trace: TraceContext) {}
  end(): void {}
  setAttribute(): void {}
}

/** Tracing off: trace ids still propagate (logs and X-Trace-ID need them), no spans are made. */
export const disabledTracer: Tracer = {
  enabled: false,
  store: undefined,
  startSpan: (_name, parent) => new DisabledSpan(parent),
  shutdown: async () => {},
};

class OtelSpan implements ActiveSpan {
  readonly trace: TraceContext;
  readonly #span: Span;
  constructor(span: Span) {
    this.#span = span;
    const ctx = span.spanContext();
    this.trace = { traceId: ctx.traceId, spanId: ctx.spanId, traceFlags: ctx.traceFlags };
  }
  end(error?: unknown): void {
    if (error !== undefined) {
      this.#span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      if (error instanceof Error) this.#span.recordException(error);
    }
    this.#span.end();
  }
  setAttribute(key: string, value: string | number | boolean): void {
    this.#span.setAttribute(key, value);
  }
}

export interface TracerOptions {
  readonly service: string;
  /** Extra exporters (e.g. OTLP); the in-memory SpanStore is always attached. */
  readonly exporters?: readonly SpanExporter[];
}

export function createTracer(options: TracerOptions): Tracer {
  const store = new SpanStore(options.service);
  const provider = new BasicTracerProvider({
    spanProcessors: [store, ...(options.exporters ?? [])].map((e) => new SimpleSpanProcessor(e)),
  });
  const tracer: OtelTracer = provider.getTracer('cleave');
  return {
    enabled: true,
    store,
    startSpan(name, parent, kind, attributes) {
      const parentCtx = otelTrace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: false });
      const span = tracer.startSpan(name, { kind: kinds[kind], ...(attributes ? { attributes } : {}) }, parentCtx);
      return new OtelSpan(span);
    },
    shutdown: () => provider.shutdown(),
  };
}
