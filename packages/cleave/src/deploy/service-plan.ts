import { SESSIONS_SCHEMA } from '../auth/session-store.ts';
import type { AppDefinition } from '../runtime/define-app.ts';
import { serviceUrlVariable } from '../runtime/service-directory.ts';
import type { Topology } from '../runtime/topology.ts';
import { validateTopology } from '../runtime/topology.ts';
import { configErrors } from '../errors/boot-errors.ts';

/** What a deployment needs to know of one service of a topology. */
export interface ServicePlan {
  readonly name: string;
  readonly modules: readonly string[];
  readonly gateway: boolean;
  /** The internal listener (service calls, events, JWKS, health). */
  readonly internalPort: number;
  /** Services that call into this one (or push events to it): let in. */
  readonly dependants: readonly string[];
  /** Services this one calls; they reach back only to fetch its JWKS, to verify its tokens. */
  readonly dependencies: readonly string[];
  /** Secret variables: a database URL per hosted schema, signing keys. */
  readonly secretNames: readonly string[];
}

/** The public port of the gateway in a container (`PORT`). */
export const PUBLIC_PORT = 8080;

/**
 * Reads a topology as a deployment sees it: per service its ports, who may call it and
 * which secrets it needs. "Dependants" come from `dependsOn` (calls and subscriptions:
 * a subscriber's module depends on the publisher's, and with HTTP events the publisher
 * pushes to the subscriber, so both directions count) and from the gateway's routes.
 */
export function planServices(app: AppDefinition, topology: Topology): ServicePlan[] {
  validateTopology(app, topology);
  const host = new Map<string, string>();
  for (const [service, spec] of Object.entries(topology.services)) for (const m of spec.modules) host.set(m, service);
  const gateway = Object.entries(topology.services).find(([, s]) => s.roles?.includes('gateway'))?.[0];
  const edges = new Set<string>();
  for (const m of app.modules) {
    for (const dep of m.dependsOn) {
      const [from, to] = [host.get(m.name), host.get(dep)];
      if (from && to && from !== to) edges.add(`${from}>${to}`);
      // With HTTP events the publisher's relay pushes to the subscriber's service.
      if (from && to && from !== to && m.subscriptions.some((s) => s.event.module === dep)) edges.add(`${to}>${from}`);
      // A worker running the module's jobs calls what the module depends on.
      const worker = Object.entries(topology.services).find(([, s]) => s.jobs?.includes(m.name))?.[0];
      if (worker && to && worker !== to) edges.add(`${worker}>${to}`);
    }
  }
  const routed = app.modules.filter((m) => Object.values(m.contract.$operations).some((op) => op.http)).map((m) => m.name);
  const aggregated = (app.gateway.aggregates ?? []).flatMap((a) => a.dependsOn.map((c) => c.$name as string));
  const identity = app.gateway.identity ? [app.gateway.identity.signup.module, app.gateway.identity.login.module] : [];
  for (const m of new Set([...routed, ...aggregated, ...identity])) {
    const to = host.get(m);
    if (gateway && to && to !== gateway) edges.add(`${gateway}>${to}`);
  }
  const pairs = [...edges].map((e) => e.split('>') as [string, string]);
  return Object.entries(topology.services).map(([name, spec]) => {
    if (spec.port === undefined) throw configErrors.SERVICE_URL_MISSING(`service "${name}" of topology "${topology.name}" has no port: a deployment needs one`);
    const isGateway = spec.roles?.includes('gateway') ?? false;
    return {
      name,
      modules: spec.modules,
      gateway: isGateway,
      internalPort: spec.port,
      dependants: pairs.filter(([, to]) => to === name).map(([from]) => from).sort(),
      dependencies: pairs.filter(([from]) => from === name).map(([, to]) => to).sort(),
      secretNames: [
        // A worker opens the databases of the modules whose jobs it runs.
        ...[...spec.modules, ...(spec.jobs ?? []).filter((m) => !spec.modules.includes(m))].map(databaseUrlVariable),
        ...(isGateway ? [databaseUrlVariable(SESSIONS_SCHEMA), 'CLEAVE_USER_TOKEN_KEY'] : []),
        'CLEAVE_SERVICE_KEY',
      ],
    };
  });
}

export const databaseUrlVariable = (schema: string) => `${schema.toUpperCase()}_DATABASE_URL`;

/** Where every service is reached, for every service: `CLEAVE_SERVICE_<NAME>_URL`. */
export function serviceAddresses(plans: readonly ServicePlan[], hostName: (service: string) => string): Record<string, string> {
  return Object.fromEntries(plans.map((p) => [serviceUrlVariable(p.name), `http://${hostName(p.name)}:${p.internalPort}`]));
}
