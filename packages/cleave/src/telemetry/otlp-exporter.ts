import { configErrors } from '../errors/boot-errors.ts';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/**
 * Whether spans go to an OTLP collector, and how, from the standard variables:
 * OTEL_TRACES_EXPORTER (`otlp` | `none`), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
 * OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL. Undefined: no collector.
 */
export function otlpProtocolFromEnv(env: Readonly<Record<string, string | undefined>>): OtlpProtocol | undefined {
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter === 'none') return undefined;
  if (exporter && exporter !== 'otlp') throw configErrors.SETTING_INVALID(`OTEL_TRACES_EXPORTER must be otlp or none (got "${exporter}")`);
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint && exporter !== 'otlp') return undefined;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  if (protocol === 'http/protobuf' || protocol === 'http/json') return protocol;
  throw configErrors.SETTING_INVALID(`OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (got "${protocol}"; grpc is not bundled)`);
}

/**
 * The OpenTelemetry JS OTLP/HTTP exporter for a protocol. It reads the endpoint, headers
 * (OTEL_EXPORTER_OTLP_(TRACES_)HEADERS), timeout and compression from the process
 * environment itself, as every OpenTelemetry SDK does.
 */
export function otlpExporter(protocol: OtlpProtocol): SpanExporter {
  return protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
}
