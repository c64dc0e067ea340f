import { isSpanContextValid, TraceFlags } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace-base';

/** W3C trace context as carried by every call and event: `traceparent` without the version. */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

// OpenTelemetry's generator uses Math.random: ids must be unique, not secret, and
// crypto.randomBytes would cost a syscall-sized slice of every call.
const ids = new RandomIdGenerator();

export function newTraceContext(sampled = true): TraceContext {
  return {
    traceId: ids.generateTraceId(),
    spanId: ids.generateSpanId(),
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
  };
}

export function newSpanId(): string {
  return ids.generateSpanId();
}

/** Parses a `traceparent` header; undefined when absent or malformed (a new trace starts). */
export function parseTraceparent(header: string | null | undefined): TraceContext | undefined {
  if (!header) return undefined;
  const parsed = parseTraceParent(header);
  if (!parsed || !isSpanContextValid(parsed)) return undefined;
  return { traceId: parsed.traceId, spanId: parsed.spanId, traceFlags: parsed.traceFlags };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.traceFlags.toString(16).padStart(2, '0')}`;
}
