import { Pool } from 'undici';
import type { ServiceTokenIssuer } from '../../auth/service-tokens.ts';
import { errorFromProblem } from '../../errors/problem.ts';
import { EVENTS_PATH } from '../../http/http-protocol.ts';
import type { EventEnvelope } from '../event-envelope.ts';
import type { EventTransport, InboxSink } from '../event-transport.ts';
import { LocalSubscribers } from './local-subscribers.ts';

export interface HttpEventTransportOptions {
  readonly service: string;
  /** Subscribing modules of each event name. */
  readonly subscribers: ReadonlyMap<string, readonly string[]>;
  /** The service hosting a module, and that service's internal URL. */
  readonly hostOf: (module: string) => string;
  readonly urlOf: (service: string) => string;
  readonly tokens: ServiceTokenIssuer;
  readonly timeoutMs?: number;
}

/**
 * Split topology without a broker (the seed's "start with HTTP"): the publisher's relay
 * pushes each batch to every service hosting a subscriber, with a service token, and
 * counts it published only when all of them answered 200 — after the events are in
 * their inboxes. Until then the relay retries; inboxes drop the repeats.
 */
export class HttpEventTransport implements EventTransport {
  readonly kind = 'http';
  readonly #options: HttpEventTransportOptions;
  readonly #local = new LocalSubscribers();
  readonly #pools = new Map<string, Pool>();

  constructor(options: HttpEventTransportOptions) {
    this.#options = options;
  }

  async publish(_publisher: string, events: readonly EventEnvelope[]): Promise<void> {
    const byService = new Map<string, EventEnvelope[]>();
    for (const event of events) {
      const services = new Set((this.#options.subscribers.get(event.name) ?? []).map((m) => this.#options.hostOf(m)));
      for (const service of services) {
        let batch = byService.get(service);
        if (!batch) byService.set(service, (batch = []));
        batch.push(event);
      }
    }
    await Promise.all([...byService].map(([service, batch]) => (service === this.#options.service ? this.#local.deliver(batch) : this.#push(service, batch))));
  }

  /** The receiving side: events pushed to this service, for its local subscribers. */
  receive(events: readonly EventEnvelope[]): Promise<void> {
    return this.#local.deliver(events);
  }

  async subscribe(module: string, names: readonly string[], inbox: InboxSink): Promise<void> {
    this.#local.add(module, names, inbox.accept);
  }

  async close(): Promise<void> {
    this.#local.clear();
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
  }

  async #push(service: string, events: readonly EventEnvelope[]): Promise<void> {
    let pool = this.#pools.get(service);
    if (!pool) this.#pools.set(service, (pool = new Pool(this.#options.urlOf(service), { connections: 4 })));
    const token = await this.#options.tokens.tokenFor(service, undefined);
    const res = await pool.request({
      method: 'POST',
      path: EVENTS_PATH,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ events }),
      signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw errorFromProblem(res.statusCode, text ? JSON.parse(text) : undefined);
  }
}
