import { errors } from '../errors/framework-errors.ts';
import type { SagaDetail, SagaSummary } from '../saga/saga-queries.ts';
import type { SagaStatus } from '../saga/saga-tables.ts';
import type { ModuleJobs } from './job-admin.ts';
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
  jobs(): Promise<{ modules: ModuleJobs[]; unreachable: Unreachable[] }>;
  retryJob(module: string, id: string): Promise<boolean>;
  runSchedule(module: string, schedule: string): Promise<{ id: string; tick: string } | undefined>;
}

/**
 * Every module's admin behind one interface, for the gateway's dashboard API: each
 * request goes to the services hosting the modules (in parallel), a replay to the one
 * owning the subscriber, a job retry or "run now" to the one running the module's jobs. A service that is down leaves its modules out, named, rather
 * than failing the page: the dashboard is most needed when something is broken.
 */
export function federateAdmins(parts: ReadonlyMap<string, ModuleAdmin>): AdminFederation {
  // Asks the services answering for some of `modulesOf`'s modules (a worker service hosts none but runs jobs).
  const gather = async <T>(read: (admin: ModuleAdmin) => Promise<T[]>, modulesOf: (admin: ModuleAdmin) => readonly string[] = (a) => a.modules) => {
    const found: T[] = [];
    const unreachable: Unreachable[] = [];
    await Promise.all([...parts].filter(([, admin]) => modulesOf(admin).length > 0).map(async ([service, admin]) => {
      try {
        found.push(...(await read(admin)));
      } catch (err) {
        unreachable.push({ service, modules: modulesOf(admin), error: err instanceof Error ? err.message : String(err) });
      }
    }));
    return { found, unreachable };
  };
  const jobsOwner = (module: string) => {
    const owner = [...parts.values()].find((a) => a.jobModules.includes(module));
    if (owner === undefined) throw errors.NOT_FOUND(`no service runs the jobs of "${module}" in this topology`);
    return owner;
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
      const found = await Promise.all([...parts.values()].filter((a) => a.modules.length > 0).map((a) => a.saga(id).catch(() => undefined)));
      return found.find((s) => s !== undefined);
    },
    async jobs() {
      const { found, unreachable } = await gather((a) => a.jobs(), (a) => a.jobModules);
      return { modules: found.sort((a, b) => a.module.localeCompare(b.module)), unreachable };
    },
    retryJob: (module, id) => jobsOwner(module).retryJob(module, id),
    runSchedule: (module, schedule) => jobsOwner(module).runSchedule(module, schedule),
  };
}
