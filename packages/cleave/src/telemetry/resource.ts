import type { Attributes } from '@opentelemetry/api';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';

/**
 * The resource every span of this process carries: the SDK's defaults, then
 * OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME (the env detector), then `service.name`
 * = `service` — the caller decides whether OTEL_SERVICE_NAME may win (see
 * `traceServiceName`), because the processes of a split topology share one environment.
 */
export function serviceResource(service: string, extra: Attributes = {}): Resource {
  return defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ ...extra, 'service.name': service }));
}

/**
 * `service.name` for one Cleave service: OTEL_SERVICE_NAME when the topology has a single
 * service (a monolith, or a deployment that sets it per process), else the Cleave service
 * name — one environment is shared by every process the supervisor starts, and a split
 * system whose services all report one name could not be told apart in any collector.
 */
export function traceServiceName(service: string, multiService: boolean, env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env.OTEL_SERVICE_NAME?.trim();
  return !multiService && fromEnv ? fromEnv : service;
}
