import type { Env, Hono } from 'hono';
import type { ServiceTokenVerifier } from '../../auth/service-tokens.ts';
import { federateAdmins } from '../../dashboard/admin-federation.ts';
import { adminAccessFromEnv, adminGuard } from '../../dashboard/admin-guard.ts';
import { mountChecklistApi } from '../../dashboard/checklist-api.ts';
import { mountEventsApi } from '../../dashboard/events-api.ts';
import { mountInternalAdmin } from '../../dashboard/internal-admin-api.ts';
import { localJobAdmin } from '../../dashboard/job-admin.ts';
import type { JobModule } from '../../dashboard/job-admin.ts';
import { mountJobsApi } from '../../dashboard/jobs-api.ts';
import { mountMapApi } from '../../dashboard/map-api.ts';
import { localModuleAdmin } from '../../dashboard/module-admin.ts';
import type { ModuleAdmin } from '../../dashboard/module-admin.ts';
import { mountDashboardPages } from '../../dashboard/pages.ts';
import { remoteModuleAdmin } from '../../dashboard/remote-module-admin.ts';
import { mountSagasApi } from '../../dashboard/sagas-api.ts';
import type { EventRuntime } from '../../events/event-runtime.ts';
import type { JobsLoop } from './jobs.ts';
import type { ModuleRuntime } from '../module-runtime.ts';
import { serviceUrl } from '../service-directory.ts';
import { jobsServiceOf } from '../topology.ts';
import type { RemoteCalls } from './remote-calls.ts';
import type { ServiceBoot } from './service-boot.ts';

/** The job workers of this service and the runtimes of their modules (hosted here or not). */
export interface DashboardJobs {
  readonly hosts: ReadonlyMap<string, ModuleRuntime>;
  readonly workers: ReadonlyMap<string, JobsLoop>;
}

export interface ServiceDashboard {
  /** The gateway: the pages at /_cleave and their APIs at /_cleave/api/*. */
  mountPages<E extends Env>(gateway: Hono<E>): void;
  /** Any other service of a split system: answer the gateway for the modules it hosts. */
  mountInternal(internal: Hono, verifier: ServiceTokenVerifier): void;
}

/**
 * The dashboard (issue 10): served by the gateway service; the events and sagas pages read
 * each module's tables where the module lives — in process for the gateway's own
 * modules, from the hosting service over the internal listener for the others (with a
 * service token). The jobs page asks the service that runs a module's jobs (a `worker`
 * service may, issue 13). Opens nothing: every read happens when a page asks.
 */
export function wireDashboard(boot: ServiceBoot, modules: ReadonlyMap<string, ModuleRuntime>, remote: RemoteCalls | undefined, events: EventRuntime, jobs: DashboardJobs): ServiceDashboard {
  const { topology, name, settings } = boot;
  const services = Object.entries(topology.services);
  const gatewayService = services.find(([, spec]) => spec.roles?.includes('gateway'))?.[0] ?? name;
  // The jobs of the modules whose worker runs here (hosted or not): the page's retry and run-now wake that worker.
  const jobModules = new Map<string, JobModule>();
  for (const m of boot.jobsHere) {
    const host = jobs.hosts.get(m.name);
    if (host && (m.jobs.length > 0 || m.schedules.length > 0)) jobModules.set(m.name, { name: m.name, db: host.db, jobs: m.jobs, schedules: m.schedules });
  }
  const localJobs = localJobAdmin(name, jobModules, (module) => jobs.workers.get(module)?.wake());
  const local = localModuleAdmin(name, modules, (module) => events.workers.get(module)?.wake(), localJobs);
  const jobModulesOf = (service: string) => boot.app.modules.filter((m) => (m.jobs.length > 0 || m.schedules.length > 0) && jobsServiceOf(topology, m.name) === service).map((m) => m.name);
  return {
    mountPages(gateway) {
      const parts = new Map<string, ModuleAdmin>([[name, local]]);
      for (const [service, spec] of services) {
        const runsJobs = jobModulesOf(service);
        if (service === name || (spec.modules.length === 0 && runsJobs.length === 0) || remote === undefined) continue;
        parts.set(service, remoteModuleAdmin({ service, modules: spec.modules, jobModules: runsJobs, url: serviceUrl(topology, service, settings.env), token: () => remote.issuer.tokenFor(service, undefined) }));
      }
      const admin = federateAdmins(parts);
      const guard = adminGuard(adminAccessFromEnv(settings.env));
      const placement = Object.fromEntries(services.flatMap(([service, spec]) => spec.modules.map((m) => [m, service])));
      mountDashboardPages(gateway);
      if (boot.tracer.store) mountMapApi(gateway, boot.tracer.store, placement, name, guard);
      mountEventsApi(gateway, admin, guard);
      mountSagasApi(gateway, admin, guard);
      mountJobsApi(gateway, admin, guard);
      mountChecklistApi(gateway, boot.options.checklist, guard);
    },
    mountInternal(internal, verifier) {
      if (gatewayService !== name) mountInternalAdmin(internal, local, verifier, gatewayService);
    },
  };
}
