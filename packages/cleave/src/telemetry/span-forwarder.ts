import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { request } from 'undici';
import { storedSpan } from './span-store.ts';
import type { StoredSpan } from './span-store.ts';

/** Where the gateway service receives the spans of the other services (its internal listener). */
export const SPANS_PATH = '/_cleave/spans';

export interface ForwardTarget {
  readonly url: string;
  token(): Promise<string>;
}

/**
 * The embedded default of a split system: a non-gateway service sends its finished spans
 * (batched by a BatchSpanProcessor, off the hot path) to the gateway service, which keeps
 * the one local store `cleave trace` and the dashboard read. Without a target (nothing to
 * send to before boot wired the service tokens) a batch is dropped.
 */
export class SpanForwarder implements SpanExporter {
  readonly #service: string;
  #target: ForwardTarget | undefined;

  constructor(service: string) {
    this.#service = service;
  }

  connect(target: ForwardTarget): void {
    this.#target = target;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const target = this.#target;
    if (target === undefined) return done({ code: 0 }); // a service without a gateway to send to (tests wiring parts by hand)
    const body: StoredSpan[] = spans.map((s) => storedSpan(s, this.#service));
    target
      .token()
      .then((token) =>
        request(`${target.url}${SPANS_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ spans: body }),
          headersTimeout: 5_000,
          bodyTimeout: 5_000,
        }),
      )
      .then(async (res) => {
        await res.body.dump();
        done(res.statusCode < 300 ? { code: 0 } : { code: 1, error: new Error(`gateway refused spans: HTTP ${res.statusCode}`) });
      })
      .catch((error: unknown) => done({ code: 1, error: error instanceof Error ? error : new Error(String(error)) }));
  }

  async shutdown(): Promise<void> {}
}
