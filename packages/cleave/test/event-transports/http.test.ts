import { createLocalJWKSet } from 'jose';
import { describe } from 'vitest';
import { ServiceTokenIssuer, ServiceTokenVerifier } from '../../src/auth/service-tokens.ts';
import { loadSigningKey } from '../../src/auth/signing-key.ts';
import type { SigningKey } from '../../src/auth/signing-key.ts';
import type { EventRuntime } from '../../src/events/event-runtime.ts';
import { HttpEventTransport } from '../../src/events/transports/http-transport.ts';
import { listen } from '../../src/runtime/http-server.ts';
import type { HttpServer } from '../../src/runtime/http-server.ts';
import { createInternalServer } from '../../src/transport/internal-server.ts';
import { subscriberMap } from './app.ts';
import { conformanceCases } from './conformance.ts';
import { startSide, stopWorkers } from './world.ts';
import type { TransportDriver, World } from './world.ts';

const services: Readonly<Record<string, string>> = { pub: 'pub-svc', sub: 'sub-svc' };
const hostOf = (module: string): string | undefined => services[module];

interface SubscriberService {
  readonly events: EventRuntime;
  readonly server: HttpServer;
}

/**
 * Two services: `pub-svc` (its relay pushes with a service token) and `sub-svc` (the
 * internal listener's POST /_cleave/events feeds its HttpEventTransport).
 */
const http: TransportDriver = {
  kind: 'http',
  whileSubscriberDown: 'held-in-outbox',
  async start(world) {
    const [pubKey, subKey] = await Promise.all([loadSigningKey({ name: 'service-pub-svc' }), loadSigningKey({ name: 'service-sub-svc' })]);
    let subUrl = '';
    const transportOf = (service: string, key: SigningKey) =>
      new HttpEventTransport({
        service,
        subscribers: subscriberMap(),
        hostOf: (module) => hostOf(module) ?? `no service hosts ${module}`,
        urlOf: (target) => {
          if (target !== 'sub-svc') throw new Error(`no URL for ${target}`);
          return subUrl;
        },
        tokens: new ServiceTokenIssuer(service, key),
        timeoutMs: 5_000,
      });
    const verifier = new ServiceTokenVerifier('sub-svc', (service) => (service === 'pub-svc' ? createLocalJWKSet({ keys: [pubKey.publicJwk] }) : undefined));

    const publisher = transportOf('pub-svc', pubKey);
    const pubEvents = await startSide(world, ['pub'], publisher);

    const startSubscriber = async (sideWorld: World, port: number): Promise<SubscriberService> => {
      const transport = transportOf('sub-svc', subKey);
      const events = await startSide(sideWorld, ['sub'], transport);
      const internal = createInternalServer({
        service: 'sub-svc',
        hosts: new Map([['sub', sideWorld.sub]]),
        verifier,
        mayCall: () => false,
        jwks: () => [subKey.publicJwk],
        isReady: async () => true,
        maxDeadlineMs: 10_000,
        bodyLimitBytes: 10_000_000,
        logger: sideWorld.logs.logger,
        events: { hostOf, receive: (batch) => transport.receive(batch) },
      });
      const server = await listen(internal.fetch, port, '127.0.0.1');
      subUrl = server.url;
      return { events, server };
    };
    let subscriber = await startSubscriber(world, 0);
    // Restarts listen on the same port: the publisher's pool keeps its URL.
    const port = subscriber.server.port;

    return {
      async stopSubscriber() {
        const workers = stopWorkers(subscriber.events);
        // The listener first: a push accepted after the transport closed would reach no inbox.
        await subscriber.server.close();
        await workers;
        await subscriber.events.stop();
      },
      async startSubscriber() {
        world.restartSub();
        subscriber = await startSubscriber(world, port);
      },
      redeliver: (batch) => publisher.publish('pub', batch),
      async stop() {
        await pubEvents.stop();
        await subscriber.server.close();
        await subscriber.events.stop();
      },
    };
  },
};

describe('event transport conformance: http', () => {
  conformanceCases(http);
});
