import type { Hono } from 'hono';
import type { EventRuntime } from '../events/event-runtime.ts';
import type { GatewayEnv } from '../gateway/gateway-env.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Tracer } from '../telemetry/tracer.ts';
import { assertBoundaries } from './boot/boundaries.ts';
import { wireDashboard } from './boot/dashboard.ts';
import { wireEvents } from './boot/events.ts';
import { wireGateway } from './boot/gateway.ts';
import { wireJobs } from './boot/jobs.ts';
import type { JobsLoop } from './boot/jobs.ts';
import { wireListeners } from './boot/listeners.ts';
import { openModuleDatabases } from './boot/module-databases.ts';
import { wireModules } from './boot/modules.ts';
import { wireSagas } from './boot/sagas.ts';
import { prepareBoot } from './boot/service-boot.ts';
import type { BootOptions } from './boot/service-boot.ts';
import type { ModuleRuntime } from './module-runtime.ts';

export interface StartServiceOptions extends BootOptions {
  /** Which service of the topology this process runs. Default: the only one. */
  readonly service?: string;
  /** Listen on a socket (default). `false`: build everything, serve through `fetch` only. */
  readonly listen?: boolean;
}

export interface RunningService {
  readonly name: string;
  /** The public URL when this service is the gateway, else its internal URL. */
  readonly url: string | undefined;
  readonly publicUrl: string | undefined;
  /** Where other services call this one (multi-service topologies only). */
  readonly internalUrl: string | undefined;
  readonly fetch: (req: Request) => Response | Promise<Response>;
  readonly gateway: Hono<GatewayEnv> | undefined;
  readonly modules: ReadonlyMap<string, ModuleRuntime>;
  readonly events: EventRuntime;
  /** The job workers of this service, by module (the modules whose jobs run here). */
  readonly jobs: ReadonlyMap<string, JobsLoop>;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** Graceful stop: refuse new work, finish requests in flight, close databases. */
  stop(): Promise<void>;
}

/**
 * Boots one service of a topology: checks module boundaries, opens each hosted module's
 * database and applies its migrations, wires calls (in-process for hosted modules),
 * events, sagas and jobs, mounts the gateway when the service has that role, and listens.
 *
 * Each step is one wiring under `boot/` that registers the close of whatever it opens;
 * a boot that fails part-way closes those in reverse order before it rejects, as `stop()` does.
 */
export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const boot = prepareBoot(options);
  const { name, logger, tracer, closers } = boot;
  try {
    await assertBoundaries(boot);
    const opened = await openModuleDatabases(boot);
    const { router, modules, jobHosts } = wireModules(boot, opened);
    // The HTTP client (undici) loads only in a multi-service topology.
    const remote = boot.multiService ? await (await import('./boot/remote-calls.ts')).wireRemoteCalls(boot, router) : undefined;
    if (remote) boot.tracing.connect(remote.issuer);
    boot.metrics.watch(modules, router, boot.topology, boot.app.modules.map((m) => m.name));
    boot.metrics.watchJobs(jobHosts);
    const { events, transport } = await wireEvents(boot, modules, remote);
    wireSagas(boot, modules);
    const jobs = await wireJobs(boot, modules, jobHosts);
    const gateway = await wireGateway(boot, router);
    const dashboard = wireDashboard(boot, modules, remote, events, { hosts: jobHosts, workers: jobs });
    if (gateway) {
      boot.tracing.mountAdmin(gateway);
      boot.metrics.mount(gateway);
      dashboard.mountPages(gateway);
    }
    const { publicUrl, internalUrl } = await wireListeners(boot, { modules, remote, gateway, transport, dashboard });

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        boot.readiness.drain();
        await closers.closeAll();
        logger.info('stopped');
      })());
    const fetch = gateway ? gateway.fetch : () => new Response('not found', { status: 404 });
    logger.info({ modules: boot.spec.modules, url: publicUrl, internalUrl }, 'service started');
    return { name, url: publicUrl ?? internalUrl, publicUrl, internalUrl, fetch, gateway, modules, events, jobs, tracer, logger, stop };
  } catch (err) {
    await closers.closeAll();
    throw err;
  }
}
