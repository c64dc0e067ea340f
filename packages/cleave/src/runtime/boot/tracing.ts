import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Env, Hono } from 'hono';
import { adminAccessFromEnv, adminGuard } from '../../dashboard/admin-guard.ts';
import { mountTraceApi } from '../../dashboard/trace-api.ts';
import { z } from 'zod';
import type { ServiceTokenIssuer, ServiceTokenVerifier } from '../../auth/service-tokens.ts';
import { validationFailed } from '../../errors/validation.ts';
import { otlpExporter, otlpProtocolFromEnv } from '../../telemetry/otlp-exporter.ts';
import { traceServiceName } from '../../telemetry/resource.ts';
import { SPANS_PATH, SpanForwarder } from '../../telemetry/span-forwarder.ts';
import { SpanStore } from '../../telemetry/span-store.ts';
import type { StoredSpan } from '../../telemetry/span-store.ts';
import { createTracer, disabledTracer } from '../../telemetry/tracer.ts';
import type { Tracer } from '../../telemetry/tracer.ts';
import { headers } from '../../http/http-protocol.ts';
import { serviceUrl } from '../service-directory.ts';
import type { ServiceSettings } from '../settings.ts';
import type { Topology } from '../topology.ts';

export interface ServiceTracing {
  readonly tracer: Tracer;
  /** A non-gateway service of a split system: start sending spans to the gateway service. */
  connect(issuer: ServiceTokenIssuer): void;
  /** The gateway service of a split system: accept the other services' spans on its internal listener. */
  mountIngest(internal: Hono, verifier: ServiceTokenVerifier): void;
  /** The gateway: the store's admin API (`cleave trace`, the dashboard). */
  mountAdmin<E extends Env>(gateway: Hono<E>): void;
}

const ForwardedSpans = z.object({
  spans: z.array(z.object({
    traceId: z.string().regex(/^[0-9a-f]{32}$/),
    spanId: z.string().regex(/^[0-9a-f]{16}$/),
    parentSpanId: z.string().regex(/^[0-9a-f]{16}$/).optional(),
    name: z.string().max(1_000),
    kind: z.enum(['server', 'client', 'internal', 'producer', 'consumer']),
    service: z.string().max(200),
    startMs: z.number(),
    durationMs: z.number().nonnegative(),
    status: z.enum(['ok', 'error']),
    statusMessage: z.string().max(10_000).optional(),
    attributes: z.record(z.string(), z.unknown()),
  })).max(10_000),
});

/**
 * Tracing for one service: the OTLP exporter when a collector is configured (OTEL_*), and
 * the embedded default — the gateway service (or the only service) keeps a bounded span
 * store, the other services of a split system forward their spans to it.
 */
export function startTracing(topology: Topology, service: string, settings: ServiceSettings, spanMetrics?: SpanExporter): ServiceTracing {
  if (!settings.tracing) return { tracer: disabledTracer, connect: () => {}, mountIngest: () => {}, mountAdmin: () => {} };
  const services = Object.entries(topology.services);
  const gatewayService = services.find(([, spec]) => spec.roles?.includes('gateway'))?.[0];
  const keepsStore = gatewayService === service || services.length === 1;
  const protocol = otlpProtocolFromEnv(settings.env);
  const store = keepsStore ? new SpanStore(service) : undefined;
  const forwarder = keepsStore ? undefined : new SpanForwarder(service);
  const tracer = createTracer({
    service: traceServiceName(service, services.length > 1, settings.env),
    exporters: protocol ? [otlpExporter(protocol)] : [],
    local: [...(forwarder ? [forwarder] : []), ...(spanMetrics ? [spanMetrics] : [])],
    ...(store ? { store } : {}),
    resourceAttributes: { 'cleave.service': service },
  });
  return {
    tracer,
    connect(issuer) {
      if (forwarder === undefined || gatewayService === undefined) return;
      forwarder.connect({ url: serviceUrl(topology, gatewayService, settings.env), token: () => issuer.tokenFor(gatewayService, undefined) });
    },
    mountIngest(internal, verifier) {
      if (store === undefined) return;
      internal.post(SPANS_PATH, async (c) => {
        // Any service of the topology may send its spans; the token says which one it is.
        await verifier.verify(/^Bearer (\S+)$/.exec(c.req.header(headers.authorization) ?? '')?.[1]);
        const parsed = ForwardedSpans.safeParse(await c.req.json().catch(() => undefined));
        if (!parsed.success) throw validationFailed(parsed.error, 'invalid span batch');
        store.add(parsed.data.spans as StoredSpan[]);
        return c.body(null, 204);
      });
    },
    mountAdmin(gateway) {
      if (store) mountTraceApi(gateway, store, adminGuard(adminAccessFromEnv(settings.env)));
    },
  };
}
