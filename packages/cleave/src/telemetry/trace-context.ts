import { createHash } from 'node:crypto';
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

/**
 * The trace of a saga: its id is the saga id's hex digits (a UUID's 32), or a hash of an id
 * of another shape, so each step and compensation — across retries and restarts — lands in
 * one trace that `cleave trace <sagaId>` finds. The parent span id is derived too: the
 * steps are siblings under the saga itself.
 */
export function sagaTraceContext(sagaId: string): TraceContext {
  const hex = sagaId.replaceAll('-', '').toLowerCase();
  const digest = createHash('sha256').update(`saga:${sagaId}`).digest('hex');
  const traceId = /^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex) ? hex : digest.slice(0, 32);
  return { traceId, spanId: digest.slice(32, 48), traceFlags: TraceFlags.SAMPLED };
}
