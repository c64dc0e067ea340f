import { SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { ActiveSpan } from './active-span.ts';

/** What every span of one tracer shares. */
export interface SpanSink {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly processor: SpanProcessor;
}

const timeOrigin = performance.timeOrigin;
// Most spans have no events, links or status: they share these instead of allocating.
const NONE = Object.freeze([]) as unknown as never[];
const NONE_ATTRIBUTES: Attributes = Object.freeze({});
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

function hrTime(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  return [seconds, Math.round((epochMs - seconds * 1000) * 1e6)];
}

/**
 * A sampled span, recorded with the least work: ids, two clock reads, the attributes
 * object as given. It is an OpenTelemetry `ReadableSpan`, so the SDK's BatchSpanProcessor
 * and exporters (OTLP, the local store) take it as they take the SDK's own spans; the
 * HrTime conversions happen when an exporter reads them, off the request path.
 */
export class RecordedSpan implements ReadableSpan, ActiveSpan {
  readonly trace: SpanContext;
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext?: SpanContext;
  attributes: Attributes;
  status: SpanStatus = UNSET;
  events: TimedEvent[] = NONE;
  readonly links: Link[] = NONE;
  ended = false;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly #sink: SpanSink;
  readonly #start: number;
  #end = 0;
  #ownAttributes = false;

  constructor(sink: SpanSink, trace: SpanContext, parent: SpanContext | undefined, name: string, kind: SpanKind, attributes: Attributes | undefined) {
    this.#sink = sink;
    this.trace = trace;
    if (parent !== undefined) this.parentSpanContext = parent;
    this.name = name;
    this.kind = kind;
    // Shared with the caller (often one object per operation) until a setAttribute copies it.
    this.attributes = attributes ?? NONE_ATTRIBUTES;
    this.#start = performance.now();
  }

  spanContext(): SpanContext {
    return this.trace;
  }
  get resource(): Resource {
    return this.#sink.resource;
  }
  get instrumentationScope(): InstrumentationScope {
    return this.#sink.scope;
  }
  get startTime(): HrTime {
    return hrTime(timeOrigin + this.#start);
  }
  get endTime(): HrTime {
    return hrTime(timeOrigin + this.#end);
  }
  get duration(): HrTime {
    const ms = this.#end - this.#start;
    const seconds = Math.floor(ms / 1000);
    return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
  }

  setAttribute(key: string, value: string | number | boolean): void {
    if (this.ended) return;
    if (!this.#ownAttributes) {
      this.attributes = { ...this.attributes };
      this.#ownAttributes = true;
    }
    this.attributes[key] = value;
  }

  updateName(name: string): void {
    if (!this.ended) this.name = name;
  }

  end(error?: unknown): void {
    if (this.ended) return;
    if (error !== undefined) {
      const message = error instanceof Error ? error.message : String(error);
      this.status = { code: SpanStatusCode.ERROR, message };
      // The semantic conventions' exception event.
      const attributes: Attributes = { 'exception.message': message };
      if (error instanceof Error) {
        attributes['exception.type'] = (error as { code?: unknown }).code === undefined ? error.name : String((error as { code?: unknown }).code);
        if (error.stack) attributes['exception.stacktrace'] = error.stack;
      }
      this.events = [{ name: 'exception', time: hrTime(timeOrigin + performance.now()), attributes, droppedAttributesCount: 0 }];
    }
    this.#end = performance.now();
    this.ended = true;
    this.#sink.processor.onEnd(this);
  }
}
