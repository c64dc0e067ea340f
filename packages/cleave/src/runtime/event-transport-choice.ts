import type { EventTransport } from '../events/event-transport.ts';
import { LocalEventTransport } from '../events/transports/local-transport.ts';
import { subscribersByEvent } from '../events/subscriber-directory.ts';
import { serviceUrl } from './service-directory.ts';
import { hostOf } from './topology.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { AppDefinition } from './define-app.ts';
import type { RemoteCalls } from './boot/remote-calls.ts';
import type { ServiceSettings } from './settings.ts';
import type { Topology } from './topology.ts';
import { configErrors } from '../errors/boot-errors.ts';

export interface EventTransportContext {
  readonly app: AppDefinition;
  readonly topology: Topology;
  readonly service: string;
  readonly settings: ServiceSettings;
  readonly multiService: boolean;
  readonly remote: RemoteCalls | undefined;
  readonly logger: Logger;
}

/**
 * `CLEAVE_EVENTS` when set (`rabbitmq` needs `RABBITMQ_URL`, `bullmq` needs `REDIS_URL`); otherwise NATS when `NATS_URL` is set, the in-process
 * transport in a one-service topology, and HTTP push between services without a broker.
 */
export async function chooseEventTransport(context: EventTransportContext): Promise<EventTransport> {
  const { settings, multiService } = context;
  const kind = settings.eventTransport ?? (settings.natsUrl ? 'nats' : multiService ? 'http' : 'local');
  if (kind === 'local') {
    if (multiService) throw configErrors.EVENT_TRANSPORT_UNSUITABLE('CLEAVE_EVENTS=local only works when one service hosts every module; use http or nats');
    return new LocalEventTransport();
  }
  if (kind === 'http') {
    if (!context.remote) throw configErrors.EVENT_TRANSPORT_UNSUITABLE('CLEAVE_EVENTS=http needs a topology of several services');
    // Broker and HTTP clients load only when chosen, so a monolith starts without them.
    const { HttpEventTransport } = await import('../events/transports/http-transport.ts');
    return new HttpEventTransport({
      service: context.service,
      subscribers: subscribersByEvent(context.app),
      hostOf: (module) => hostOf(context.topology, module) as string,
      urlOf: (service) => serviceUrl(context.topology, service, settings.env),
      tokens: context.remote.issuer,
    });
  }
  if (kind === 'rabbitmq') {
    if (!settings.rabbitmqUrl) throw configErrors.EVENT_TRANSPORT_UNSUITABLE('CLEAVE_EVENTS=rabbitmq needs RABBITMQ_URL');
    const { RabbitEventTransport } = await import('../events/transports/rabbitmq-transport.ts');
    const rabbit = new RabbitEventTransport({ url: settings.rabbitmqUrl, app: settings.eventsNamespace ?? context.app.name, subscribers: subscribersByEvent(context.app), logger: context.logger });
    await rabbit.connect();
    return rabbit;
  }
  if (kind === 'bullmq') {
    if (!settings.redisUrl) throw configErrors.EVENT_TRANSPORT_UNSUITABLE('CLEAVE_EVENTS=bullmq needs REDIS_URL');
    const { BullmqEventTransport } = await import('../events/transports/bullmq-transport.ts');
    const bullmq = new BullmqEventTransport({ url: settings.redisUrl, app: settings.eventsNamespace ?? context.app.name, subscribers: subscribersByEvent(context.app), logger: context.logger });
    await bullmq.connect().catch(async (err: unknown) => {
      await bullmq.close();
      throw err;
    });
    return bullmq;
  }
  if (!settings.natsUrl) throw configErrors.EVENT_TRANSPORT_UNSUITABLE('CLEAVE_EVENTS=nats needs NATS_URL');
  const publishers = new Map(context.app.modules.flatMap((m) => Object.keys(m.contract.$events).map((name) => [name, m.name] as const)));
  const { NatsEventTransport } = await import('../events/transports/nats-transport.ts');
  const nats = new NatsEventTransport({ url: settings.natsUrl, app: settings.eventsNamespace ?? context.app.name, publisherOf: (name) => publishers.get(name), logger: context.logger });
  await nats.connect();
  return nats;
}
