import type { Env, Hono } from 'hono';
import type { ServiceTokenVerifier } from '../../auth/service-tokens.ts';
import { federateAdmins } from '../../dashboard/admin-federation.ts';
import { adminAccessFromEnv, adminGuard } from '../../dashboard/admin-guard.ts';
import { mountChecklistApi } from '../../dashboard/checklist-api.ts';
import { mountEventsApi } from '../../dashboard/events-api.ts';
import { mountInternalAdmin } from '../../dashboard/internal-admin-api.ts';
import { mountMapApi } from '../../dashboard/map-api.ts';
import { localModuleAdmin } from '../../dashboard/module-admin.ts';
import type { ModuleAdmin } from '../../dashboard/module-admin.ts';
import { mountDashboardPages } from '../../dashboard/pages.ts';
import { remoteModuleAdmin } from '../../dashboard/remote-module-admin.ts';
import { mountSagasApi } from '../../dashboard/sagas-api.ts';
import type { EventRuntime } from '../../events/event-runtime.ts';
import type { ModuleRuntime } from '../module-runtime.ts';
import { serviceUrl } from '../service-directory.ts';
import type { RemoteCalls } from './remote-calls.ts';
import type { ServiceBoot } from './service-boot.ts';

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
 * service token). Opens nothing: every read happens when a page asks.
 */
export function wireDashboard(boot: ServiceBoot, modules: ReadonlyMap<string, ModuleRuntime>, remote: RemoteCalls | undefined, events: EventRuntime): ServiceDashboard {
  const { topology, name, settings } = boot;
  const services = Object.entries(topology.services);
  const gatewayService = services.find(([, spec]) => spec.roles?.includes('gateway'))?.[0] ?? name;
  const local = localModuleAdmin(name, modules, (module) => events.workers.get(module)?.wake());
  return {
    mountPages(gateway) {
      const parts = new Map<string, ModuleAdmin>([[name, local]]);
      for (const [service, spec] of services) {
        if (service === name || spec.modules.length === 0 || remote === undefined) continue;
        parts.set(service, remoteModuleAdmin({ service, modules: spec.modules, url: serviceUrl(topology, service, settings.env), token: () => remote.issuer.tokenFor(service, undefined) }));
      }
      const admin = federateAdmins(parts);
      const guard = adminGuard(adminAccessFromEnv(settings.env));
      const placement = Object.fromEntries(services.flatMap(([service, spec]) => spec.modules.map((m) => [m, service])));
      mountDashboardPages(gateway);
      if (boot.tracer.store) mountMapApi(gateway, boot.tracer.store, placement, name, guard);
      mountEventsApi(gateway, admin, guard);
      mountSagasApi(gateway, admin, guard);
      mountChecklistApi(gateway, boot.options.checklist, guard);
    },
    mountInternal(internal, verifier) {
      if (gatewayService !== name) mountInternalAdmin(internal, local, verifier, gatewayService);
    },
  };
}
