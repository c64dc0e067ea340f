import { errors } from '../errors/framework-errors.ts';
import type { SagaDetail, SagaSummary } from '../saga/saga-queries.ts';
import type { SagaStatus } from '../saga/saga-tables.ts';
import type { ModuleAdmin, ModuleEvents } from './module-admin.ts';

/** A service whose part of a page could not be read: the page shows the rest and says so. */
export interface Unreachable {
  readonly service: string;
  readonly modules: readonly string[];
  readonly error: string;
}

export interface AdminFederation {
  events(): Promise<{ modules: ModuleEvents[]; unreachable: Unreachable[] }>;
  replay(module: string, eventIds: readonly string[]): Promise<number>;
  sagas(status: SagaStatus | undefined): Promise<{ sagas: SagaSummary[]; unreachable: Unreachable[] }>;
  saga(id: string): Promise<SagaDetail | undefined>;
}

/**
 * Every module's admin behind one interface, for the gateway's dashboard API: each
 * request goes to the services hosting the modules (in parallel), a replay to the one
 * owning the subscriber. A service that is down leaves its modules out, named, rather
 * than failing the page: the dashboard is most needed when something is broken.
 */
export function federateAdmins(parts: ReadonlyMap<string, ModuleAdmin>): AdminFederation {
  const gather = async <T>(read: (admin: ModuleAdmin) => Promise<T[]>) => {
    const found: T[] = [];
    const unreachable: Unreachable[] = [];
    await Promise.all([...parts].map(async ([service, admin]) => {
      try {
        found.push(...(await read(admin)));
      } catch (err) {
        unreachable.push({ service, modules: admin.modules, error: err instanceof Error ? err.message : String(err) });
      }
    }));
    return { found, unreachable };
  };
  return {
    async events() {
      const { found, unreachable } = await gather((a) => a.events());
      return { modules: found.sort((a, b) => a.module.localeCompare(b.module)), unreachable };
    },
    async replay(module, eventIds) {
      const owner = [...parts.values()].find((a) => a.modules.includes(module));
      if (owner === undefined) throw errors.NOT_FOUND(`no module "${module}" in this topology`);
      return owner.replay(module, eventIds);
    },
    async sagas(status) {
      const { found, unreachable } = await gather((a) => a.sagas(status));
      return { sagas: found.sort((a, b) => b.createdAt.localeCompare(a.createdAt)), unreachable };
    },
    async saga(id) {
      const found = await Promise.all([...parts.values()].map((a) => a.saga(id).catch(() => undefined)));
      return found.find((s) => s !== undefined);
    },
  };
}
