import { ROOT_CONTEXT, SpanKind, trace as otelTrace, TraceFlags } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { BatchSpanProcessor, RandomIdGenerator, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ActiveSpan } from './active-span.ts';
import { RecordedSpan } from './recorded-span.ts';
import type { SpanSink } from './recorded-span.ts';
import { serviceResource } from './resource.ts';
import { followsParent, samplerFromEnv } from './sampler.ts';
import type { SpanStore } from './span-store.ts';
import { newTraceContext } from './trace-context.ts';
import type { TraceContext } from './trace-context.ts';

export type SpanKindName = 'server' | 'client' | 'internal' | 'producer' | 'consumer';
const kinds: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  internal: SpanKind.INTERNAL,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

export type SpanAttributes = Record<string, string | number | boolean>;

export type { ActiveSpan } from './active-span.ts';

/**
 * The framework's view of tracing: start a span as a child of a trace context we carry
 * explicitly (on every call and event), rather than through async-local context, so the
 * hot path pays for no context manager. Spans go through the OpenTelemetry SDK's sampler
 * (OTEL_TRACES_SAMPLER / _ARG) and batching processors (OTEL_BSP_*), so the per-span cost
 * on the hot path is the sampling decision, one small object and one array push.
 */
export interface Tracer {
  readonly enabled: boolean;
  /** The local store of finished spans, in the service that keeps one (the gateway, or a monolith). */
  readonly store: SpanStore | undefined;
  /** `parent` undefined: a new trace (a root span), sampled by the configured sampler. */
  startSpan(name: string, parent: TraceContext | undefined, kind: SpanKindName, attributes?: SpanAttributes): ActiveSpan;
  /** Exports what the batching processors hold (tests, `cleave trace` right after a request). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

class DisabledSpan implements ActiveSpan {
  constructor(readonly trace: TraceContext) {}
  end(): void {}
  setAttribute(): void {}
  updateName(): void {}
}

/** Tracing off: trace ids still propagate (logs and X-Trace-ID need them), no spans are made. */
export const disabledTracer: Tracer = {
  enabled: false,
  store: undefined,
  startSpan: (_name, parent) => new DisabledSpan(parent ?? newTraceContext()),
  flush: async () => {},
  shutdown: async () => {},
};

export interface TracerOptions {
  readonly service: string;
  /** Where finished spans go, each behind its own BatchSpanProcessor (OTLP, the local store, the forwarder). */
  readonly exporters?: readonly SpanExporter[];
  /** The local store, when this process keeps one; it is also given a processor here. */
  readonly store?: SpanStore;
  /** Exporters of the embedded default (the store, the forwarder to the gateway's store), batched on a short delay. */
  readonly local?: readonly SpanExporter[];
  /** How often the local exporters are fed (ms); short, so `cleave trace` sees a request at once. */
  readonly storeDelayMs?: number;
  readonly resourceAttributes?: Attributes;
  /** Default: from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG. */
  readonly sampler?: Sampler;
}

// Math.random-based, like the SDK's default: ids must be unique, not secret.
const ids = new RandomIdGenerator();

/**
 * A tracer on the OpenTelemetry SDK's parts: the sampler from OTEL_TRACES_SAMPLER(_ARG)
 * (default parentbased_always_on), a BatchSpanProcessor per exporter (OTEL_BSP_*), the
 * exporters. Spans themselves are `RecordedSpan`s, not the SDK tracer's: see
 * docs/adr/0010-tracing-hot-path.md for what that saves and what it gives up.
 */
export function createTracer(options: TracerOptions): Tracer {
  const processors: SpanProcessor[] = (options.exporters ?? []).map((exporter) => new BatchSpanProcessor(exporter));
  for (const exporter of [...(options.store ? [options.store] : []), ...(options.local ?? [])]) {
    processors.push(new BatchSpanProcessor(exporter, { scheduledDelayMillis: options.storeDelayMs ?? 200 }));
  }
  const processor = fanOut(processors);
  const sink: SpanSink = { resource: serviceResource(options.service, options.resourceAttributes), scope: { name: 'cleave' }, processor };
  const sampler = options.sampler ?? samplerFromEnv();
  const parentDecides = options.sampler === undefined && followsParent();
  return {
    enabled: true,
    store: options.store,
    startSpan(name, parent, kind, attributes) {
      const spanKind = kinds[kind];
      const traceId = parent === undefined ? ids.generateTraceId() : parent.traceId;
      let sampled: boolean;
      if (parent !== undefined && parentDecides) sampled = (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
      else {
        const context = parent === undefined ? ROOT_CONTEXT : otelTrace.setSpanContext(ROOT_CONTEXT, parent);
        sampled = sampler.shouldSample(context, traceId, name, spanKind, attributes ?? {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
      }
      const trace = { traceId, spanId: ids.generateSpanId(), traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE };
      // Not sampled: the context still propagates (flags 00), nothing is recorded.
      if (trace.traceFlags === TraceFlags.NONE) return new DisabledSpan(trace);
      return new RecordedSpan(sink, trace, parent, name, spanKind, attributes);
    },
    flush: () => processor.forceFlush(),
    shutdown: () => processor.shutdown(),
  };
}

// One processor per exporter, so a slow collector never delays the local store.
function fanOut(processors: readonly SpanProcessor[]): SpanProcessor {
  return {
    onStart: () => {},
    onEnd: (span) => {
      for (const p of processors) p.onEnd(span);
    },
    forceFlush: async () => {
      await Promise.all(processors.map((p) => p.forceFlush()));
    },
    shutdown: async () => {
      await Promise.all(processors.map((p) => p.shutdown()));
    },
  };
}
