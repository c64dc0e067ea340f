import type { AppDefinition } from '../runtime/define-app.ts';
import type { Topology } from '../runtime/topology.ts';
import type { ServiceSettings } from '../runtime/settings.ts';
import { item } from './checklist-item.ts';
import type { ChecklistGroup } from './checklist-item.ts';

/**
 * The seed's infrastructure items, read from the app, its topologies and the environment
 * the services would start with — what is configured, not what the framework could do.
 */
export function infrastructureGroup(app: AppDefinition, topologies: readonly Topology[], settings: ServiceSettings, monitoring: string | undefined): ChecklistGroup {
  const split = topologies.filter((t) => Object.keys(t.services).length > 1);
  const gateways = topologies.map((t) => {
    const [name] = Object.entries(t.services).find(([, s]) => s.roles?.includes('gateway')) ?? [];
    return { topology: t.name, name };
  });
  const aggregates = (app.gateway.aggregates ?? []).map((a) => a.name);
  const limits = (app.gateway.rateLimits ?? []).map((p) => p.name);
  const otlp = settings.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? settings.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const services = split.flatMap((t) => Object.keys(t.services).map((s) => `${t.name}/${s}`));
  return {
    name: 'Infrastructure',
    items: [
      item('API Gateway set up', gateways.every((g) => g.name) ? 'met' : 'unmet', [
        ...gateways.map((g) => `${g.topology}: ${g.name ? `service "${g.name}" plays the gateway` : 'no service has the gateway role'}`),
        `public routes from ${app.modules.reduce((n, m) => n + Object.values(m.contract.$operations).filter((op) => op.http).length, 0)} exposed operations, aggregates: ${aggregates.join(', ') || 'none'}`,
        `rate limits: ${limits.length ? limits.join(', ') : 'the default policies (per IP, per user, auth)'}${settings.redisUrl ? ', shared in Redis' : ', in memory (set REDIS_URL for replicas)'}`,
      ]),
      item('Service-to-service auth implemented', split.length === 0 ? 'unknown' : 'met', split.length === 0
        ? ['no topology with more than one service: nothing calls across processes yet']
        : [
            `${split.map((t) => t.name).join(', ')}: every call between services carries an EdDSA service token (issuer, audience, ≤ 5 min), and a service accepts only callers that declare a dependency`,
            settings.serviceKey ? 'signing key from CLEAVE_SERVICE_KEY' : `signing keys generated per service in ${settings.dataDir}/keys (set CLEAVE_SERVICE_KEY in production)`,
          ]),
      item('Distributed tracing (trace IDs)', settings.tracing ? 'met' : 'unmet', [
        settings.tracing ? 'tracing on: W3C traceparent through calls and events, X-Trace-ID on every response' : 'CLEAVE_TRACING=off: no spans are recorded',
        otlp ? `spans exported over OTLP to ${otlp}` : 'spans kept in the local span store (set OTEL_EXPORTER_OTLP_ENDPOINT to export)',
      ]),
      item('Monitoring per service (Better Stack)', monitoring ? 'met' : 'unmet', [
        monitoring ? `monitoring: ${monitoring} (readiness.monitoring)` : 'no monitoring declared (readiness.monitoring in cleave.config.ts)',
        `health: /healthz and /readyz on each service${services.length ? ` (${services.join(', ')})` : ''}; JSON logs with service, module and trace id`,
      ]),
    ],
  };
}
