import type { AppDefinition } from './define-app.ts';
import { configErrors } from '../errors/boot-errors.ts';
import { assertShape, topologySchema } from './definition-schemas.ts';

/** `gateway`: the public edge. `worker`: runs background jobs (see `ServiceSpec.jobs`); a label, for people and manifests. */
export type ServiceRole = 'gateway' | 'worker';

/** One deployable process: the modules it hosts, its port and its roles. */
export interface ServiceSpec {
  readonly modules: readonly string[];
  readonly roles?: readonly ServiceRole[];
  /**
   * Modules whose jobs and schedules run here instead of in the service that hosts them
   * (the seed's "extract background jobs": a `worker` service). The module's code does not
   * change; this service opens the module's database and runs its job worker, and calls
   * the module's dependencies like any other service.
   */
  readonly jobs?: readonly string[];
  /** Port to listen on; the gateway service's port is overridden by `PORT`. */
  readonly port?: number;
  /**
   * A service written in another language: the supervisor runs this program (argv, from
   * the working directory) in its place. It must serve the internal protocol for the
   * modules it hosts, reading their contracts from `cleave contract export`.
   */
  readonly command?: readonly string[];
}

/** The map service → modules. `monolith`: one service hosts all; `split`: several. */
export interface Topology {
  readonly name: string;
  readonly services: Readonly<Record<string, ServiceSpec>>;
}

/**
 * Declares a topology; checks its shape (which modules an app has is checked by
 * `defineConfig` and at start).
 *
 * @example
 * export default defineTopology({ name: 'monolith', services: { app: { modules: ['users', 'posts'], roles: ['gateway'] } } });
 */
export function defineTopology(topology: Topology): Topology {
  assertShape('defineTopology', topologySchema, topology);
  return Object.freeze(topology);
}

/** Fails loudly when a topology does not place every module of the app exactly once. */
export function validateTopology(app: AppDefinition, topology: Topology): void {
  const placed = new Map<string, string>();
  for (const [service, spec] of Object.entries(topology.services)) {
    for (const module of spec.modules) {
      if (!app.modules.some((m) => m.name === module)) {
        throw configErrors.TOPOLOGY_UNKNOWN_MODULE(`topology "${topology.name}": service "${service}" hosts "${module}", which is not a module of app "${app.name}"`);
      }
      const other = placed.get(module);
      if (other) throw configErrors.TOPOLOGY_MODULE_TWICE(`topology "${topology.name}": module "${module}" is hosted by both "${other}" and "${service}"`);
      placed.set(module, service);
    }
  }
  const jobsAt = new Map<string, string>();
  for (const [service, spec] of Object.entries(topology.services)) {
    for (const module of spec.jobs ?? []) {
      if (!app.modules.some((m) => m.name === module)) {
        throw configErrors.TOPOLOGY_UNKNOWN_MODULE(`topology "${topology.name}": service "${service}" runs the jobs of "${module}", which is not a module of app "${app.name}"`);
      }
      const other = jobsAt.get(module);
      if (other) throw configErrors.TOPOLOGY_JOBS_TWICE(`topology "${topology.name}": the jobs of "${module}" are claimed by both "${other}" and "${service}"`);
      jobsAt.set(module, service);
    }
  }
  const unplaced = app.modules.filter((m) => !placed.has(m.name)).map((m) => m.name);
  if (unplaced.length) throw configErrors.TOPOLOGY_MODULE_UNPLACED(`topology "${topology.name}": no service hosts ${unplaced.join(', ')}`);
  const gateways = Object.entries(topology.services).filter(([, s]) => s.roles?.includes('gateway'));
  if (gateways.length === 0) throw configErrors.TOPOLOGY_NO_GATEWAY(`topology "${topology.name}": no service has the gateway role`);
}

/** The service that hosts a module. */
export function hostOf(topology: Topology, module: string): string | undefined {
  return Object.entries(topology.services).find(([, s]) => s.modules.includes(module))?.[0];
}

/** The service that runs a module's jobs: the one listing it under `jobs`, else its host. */
export function jobsServiceOf(topology: Topology, module: string): string | undefined {
  return Object.entries(topology.services).find(([, s]) => s.jobs?.includes(module))?.[0] ?? hostOf(topology, module);
}
