import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const seconds = (span: ReadableSpan) => span.duration[0] + span.duration[1] / 1e9;
const outcome = (span: ReadableSpan) => (span.status.code === 2 ? 'error' : 'ok');

/**
 * Request, operation and event-handling histograms (rate = `_count`, errors = the
 * `outcome="error"` series, duration = the buckets), computed from finished spans when
 * a BatchSpanProcessor hands them over — so the request path pays nothing for them.
 * The cost of that choice: they count sampled spans only (all of them by default).
 */
export class SpanMetrics implements SpanExporter {
  readonly #http: Histogram<'method' | 'route' | 'status_code'>;
  readonly #operations: Histogram<'caller' | 'module' | 'operation' | 'outcome'>;
  readonly #calls: Histogram<'module' | 'operation' | 'target' | 'outcome'>;
  readonly #events: Histogram<'subscriber' | 'event' | 'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#http = new Histogram({ name: 'cleave_http_server_request_duration_seconds', help: 'Gateway HTTP requests by route template and status', labelNames: ['method', 'route', 'status_code'], buckets, registers });
    this.#operations = new Histogram({ name: 'cleave_operation_duration_seconds', help: 'Operations handled by this service, by calling module (caller -> callee)', labelNames: ['caller', 'module', 'operation', 'outcome'], buckets, registers });
    this.#calls = new Histogram({ name: 'cleave_remote_call_duration_seconds', help: 'Calls this service made to operations hosted by another service', labelNames: ['module', 'operation', 'target', 'outcome'], buckets, registers });
    this.#events = new Histogram({ name: 'cleave_event_process_duration_seconds', help: 'Events handled by subscribers of this service', labelNames: ['subscriber', 'event', 'outcome'], buckets, registers });
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const a = span.attributes;
      if (a['http.request.method'] !== undefined && span.kind === 1) {
        this.#http.observe({ method: String(a['http.request.method']), route: String(a['http.route'] ?? 'unmatched'), status_code: String(a['http.response.status_code'] ?? '') }, seconds(span));
      } else if (a['rpc.system'] === 'cleave' && span.kind === 1) {
        this.#operations.observe({ caller: String(a['cleave.caller']), module: String(a['rpc.service']), operation: String(a['rpc.method']), outcome: outcome(span) }, seconds(span));
      } else if (a['rpc.system'] === 'cleave' && span.kind === 2) {
        this.#calls.observe({ module: String(a['rpc.service']), operation: String(a['rpc.method']), target: String(a['cleave.target']), outcome: outcome(span) }, seconds(span));
      } else if (a['messaging.operation.type'] === 'process') {
        this.#events.observe({ subscriber: String(a['messaging.consumer.group.name']), event: String(a['messaging.destination.name']), outcome: outcome(span) }, seconds(span));
      }
    }
    done({ code: 0 });
  }

  async shutdown(): Promise<void> {}
}
