import { InProcessTransport } from '../../transport/in-process.ts';
import { CallRouter } from '../call-router.ts';
import { ModuleRuntime } from '../module-runtime.ts';
import type { OpenedModule } from './module-databases.ts';
import type { ServiceBoot } from './service-boot.ts';

export interface WiredModules {
  readonly router: CallRouter;
  /** The hosted modules: they serve calls here. */
  readonly modules: ReadonlyMap<string, ModuleRuntime>;
  /** The modules whose jobs run here, hosted or not (a worker's are not in `modules`: calls to them go to their host). */
  readonly jobHosts: ReadonlyMap<string, ModuleRuntime>;
}

/** One ModuleRuntime per opened module; the hosted ones reachable in process through the call router. */
export function wireModules(boot: ServiceBoot, opened: readonly OpenedModule[]): WiredModules {
  const router = new CallRouter({ trustInProcessCalls: boot.app.trustInProcessCalls });
  // Closes the transports registered later too (HTTP pools to other services).
  boot.closers.add('call router', () => router.close());
  const modules = new Map<string, ModuleRuntime>();
  const jobHosts = new Map<string, ModuleRuntime>();
  for (const { definition, database } of opened) {
    const runtime = new ModuleRuntime(definition, database.db, boot.logger, boot.tracer, router);
    if (boot.jobsHere.includes(definition)) jobHosts.set(definition.name, runtime);
    if (!boot.hosted.includes(definition)) continue;
    modules.set(definition.name, runtime);
    router.register(definition.name, new InProcessTransport(runtime));
  }
  return { router, modules, jobHosts };
}
