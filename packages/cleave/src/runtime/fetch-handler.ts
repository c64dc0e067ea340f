import type { AppDefinition } from './define-app.ts';
import { settingsFromEnv } from './settings.ts';
import type { ServiceSettings } from './settings.ts';
import { startService } from './start-service.ts';
import type { RunningService } from './start-service.ts';
import type { Topology } from './topology.ts';
import { configErrors } from '../errors/boot-errors.ts';

export interface FetchHandlerOptions {
  readonly app: AppDefinition;
  readonly topology: Topology;
  /** Which service of the topology this process runs (it must have the gateway role). Default: the only one. */
  readonly service?: string;
  /** Default: `settingsFromEnv()`, read when the service starts. */
  readonly settings?: ServiceSettings;
  /**
   * On SIGTERM/SIGINT: stop the service gracefully (requests in flight, outbox, the embedded
   * PostgreSQL server), then exit. Default true. Under `next start`, set
   * `NEXT_MANUAL_SIG_HANDLE=true` so that Next.js leaves the signals to this handler;
   * otherwise Next.js exits first and the embedded server is adopted by the next start.
   */
  readonly stopOnSignals?: boolean;
}

/** A web-standard request handler backed by one running Cleave service. */
export interface FetchHandler {
  (req: Request): Promise<Response>;
  /** Starts the service now rather than on the first request (e.g. from Next.js's `register()`). */
  ready(): Promise<RunningService>;
  /** Graceful stop; the next request starts the service again. */
  stop(): Promise<void>;
}

// One service per process, whatever the number of module instances that import this: a
// framework's dev server re-evaluates route modules on every change, and each route bundle
// may hold its own copy of the caller's code.
const RUNNING = Symbol.for('@cleavejs/core/fetch-handler');
type Registry = Map<string, Promise<RunningService>>;
const registry = ((globalThis as { [RUNNING]?: Registry })[RUNNING] ??= new Map());

/**
 * Serves the gateway of a Cleave service through a web-standard `(Request) => Promise<Response>`,
 * for a host that owns the HTTP server: a Next.js route handler, a worker, a test. The service
 * (databases, migrations, outbox relay, sagas) starts once per process, on the first request
 * or on `ready()`, without opening a socket of its own.
 *
 * @example
 * // app/api/v1/[...path]/route.ts
 * const handle = fetchHandler({ app, topology: monolith });
 * export const GET = handle, POST = handle, PUT = handle, PATCH = handle, DELETE = handle;
 */
export function fetchHandler(options: FetchHandlerOptions): FetchHandler {
  const key = `${options.app.name}/${options.topology.name}/${options.service ?? ''}`;
  const ready = (): Promise<RunningService> => {
    let running = registry.get(key);
    if (running === undefined) {
      running = startService({
        app: options.app,
        topology: options.topology,
        settings: options.settings ?? settingsFromEnv(),
        listen: false,
        ...(options.service === undefined ? {} : { service: options.service }),
      });
      registry.set(key, running);
      // A failed start is not cached: the next request tries again (the database may be up by then).
      running.then((service) => {
        if (options.stopOnSignals !== false) stopOnSignals(service);
      }, () => registry.delete(key));
    }
    return running;
  };
  const handle = async (req: Request): Promise<Response> => {
    const service = await ready();
    if (service.gateway === undefined) throw configErrors.SERVICE_NOT_GATEWAY(`service "${service.name}" has no gateway role: it serves no public requests`);
    return service.fetch(req);
  };
  const stop = async (): Promise<void> => {
    const running = registry.get(key);
    if (running === undefined) return;
    registry.delete(key);
    await (await running).stop();
  };
  return Object.assign(handle, { ready, stop });
}

function stopOnSignals(service: RunningService): void {
  const onSignal = () => {
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        service.logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
