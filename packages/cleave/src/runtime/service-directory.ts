import type { Topology } from './topology.ts';
import { configErrors } from '../errors/boot-errors.ts';

/** `CLEAVE_SERVICE_<NAME>_URL`: where a service's internal listener is reached. */
export function serviceUrlVariable(service: string): string {
  return `CLEAVE_SERVICE_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

/**
 * Where each service of a topology listens for internal calls: the URL from
 * `CLEAVE_SERVICE_<NAME>_URL` (a container's DNS name, or a port chosen by a test), else
 * loopback on the port the topology gives it.
 */
export function serviceUrl(topology: Topology, service: string, env: Readonly<Record<string, string | undefined>>): string {
  const configured = env[serviceUrlVariable(service)];
  if (configured) return configured.replace(/\/$/, '');
  const port = topology.services[service]?.port;
  if (port === undefined) throw configErrors.SERVICE_URL_MISSING(`service "${service}" has no port in topology "${topology.name}"; set ${serviceUrlVariable(service)}`);
  return `http://127.0.0.1:${port}`;
}

/** The port a service's internal listener binds: its URL's port. */
export function internalPort(topology: Topology, service: string, env: Readonly<Record<string, string | undefined>>): number {
  const url = new URL(serviceUrl(topology, service, env));
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}
