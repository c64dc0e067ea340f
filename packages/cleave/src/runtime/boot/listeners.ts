import type { Hono } from 'hono';
import type { EventEnvelope } from '../../events/event-envelope.ts';
import type { EventTransport } from '../../events/event-transport.ts';
import type { HttpEventTransport } from '../../events/transports/http-transport.ts';
import type { GatewayEnv } from '../../gateway/gateway-env.ts';
import { createInternalServer } from '../../transport/internal-server.ts';
import { listen } from '../http-server.ts';
import type { ModuleRuntime } from '../module-runtime.ts';
import { accessMatrix } from '../service-access.ts';
import { internalPort } from '../service-directory.ts';
import { hostOf } from '../topology.ts';
import type { ServiceDashboard } from './dashboard.ts';
import type { RemoteCalls } from './remote-calls.ts';
import type { ServiceBoot } from './service-boot.ts';

export interface ListenerInputs {
  readonly modules: ReadonlyMap<string, ModuleRuntime>;
  readonly remote: RemoteCalls | undefined;
  readonly gateway: Hono<GatewayEnv> | undefined;
  readonly transport: EventTransport;
  readonly dashboard: ServiceDashboard;
}

export interface Listeners {
  readonly publicUrl: string | undefined;
  readonly internalUrl: string | undefined;
}

/**
 * The sockets: the internal listener other services call (multi-service topologies) and
 * the public one when this service is the gateway. Opened last, so on stop they close
 * first: no new work gets in while the rest shuts down. `listen: false` opens none.
 */
export async function wireListeners(boot: ServiceBoot, inputs: ListenerInputs): Promise<Listeners> {
  const { app, topology, name, settings, logger } = boot;
  const { remote, gateway, transport } = inputs;
  if (boot.options.listen === false) return { publicUrl: undefined, internalUrl: undefined };
  let internalUrl: string | undefined;
  if (remote) {
    const internal = createInternalServer({
      service: name,
      hosts: inputs.modules,
      verifier: remote.verifier,
      mayCall: accessMatrix(app, topology),
      jwks: () => [remote.key.publicJwk],
      isReady: boot.readiness.check,
      maxDeadlineMs: settings.requestTimeoutMs,
      bodyLimitBytes: settings.bodyLimitBytes,
      logger,
      ...(transport.kind === 'http'
        ? { events: { hostOf: (module: string) => hostOf(topology, module), receive: (batch: readonly EventEnvelope[]) => (transport as HttpEventTransport).receive(batch) } }
        : {}),
    });
    boot.tracing.mountIngest(internal, remote.verifier);
    boot.metrics.mount(internal);
    inputs.dashboard.mountInternal(internal, remote.verifier);
    const server = await listen(internal.fetch, internalPort(topology, name, settings.env), settings.host);
    boot.closers.add('internal listener', () => server.close());
    internalUrl = server.url;
  }
  let publicUrl: string | undefined;
  if (gateway) {
    const server = await listen(gateway.fetch, settings.port ?? 3000, settings.host);
    boot.closers.add('public listener', () => server.close());
    publicUrl = server.url;
  }
  return { publicUrl, internalUrl };
}
