import type { TraceContext } from './trace-context.ts';

/**
 * The fields that tie a log line to its span, named as OpenTelemetry's log correlation
 * names them (`trace_id`, `span_id`, `trace_flags`), so a collector or Grafana can jump
 * from a line to its trace. Every log line written during a request carries them.
 */
export function traceLogFields(trace: TraceContext): { trace_id: string; span_id: string; trace_flags: string } {
  return { trace_id: trace.traceId, span_id: trace.spanId, trace_flags: trace.traceFlags.toString(16).padStart(2, '0') };
}
