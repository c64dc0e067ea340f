import type { Channel } from 'amqplib';

/**
 * The broker objects of one app: a durable direct exchange `cleave.<app>` routed by event
 * name, and a durable quorum queue `cleave.<app>.<module>` per subscribing module, bound
 * to the names it subscribes to.
 *
 * - Quorum queues: replicated, fsync'd before the publisher's confirm, and a consumer's
 *   unacked messages go back to the head of the queue in their order when it dies.
 * - Single active consumer: replicas of a subscribing module share its queue, but only
 *   one reads at a time, so one aggregate's events are never stored out of order by two
 *   readers racing. Another replica takes over when the active one goes away.
 */
export class RabbitTopology {
  readonly exchange: string;
  readonly #app: string;
  /** Subscribing modules of each event name, from the app's subscriptions. */
  readonly #subscribers: ReadonlyMap<string, readonly string[]>;

  constructor(app: string, subscribers: ReadonlyMap<string, readonly string[]>) {
    this.#app = app;
    this.exchange = `cleave.${app}`;
    this.#subscribers = subscribers;
  }

  queueOf(module: string): string {
    return `cleave.${this.#app}.${module}`;
  }

  /** The modules that have a queue, and the names bound to each. */
  bindings(): Map<string, Set<string>> {
    const byModule = new Map<string, Set<string>>();
    for (const [name, modules] of this.#subscribers) {
      for (const module of modules) byModule.set(module, (byModule.get(module) ?? new Set()).add(name));
    }
    return byModule;
  }

  /**
   * Declares the exchange and every subscriber's queue with its bindings (idempotent).
   * The publisher declares them too: an event published before its subscriber's first
   * start waits in the queue instead of being dropped as unroutable.
   */
  async declare(channel: Channel): Promise<void> {
    await channel.assertExchange(this.exchange, 'direct', { durable: true });
    for (const [module, names] of this.bindings()) await this.declareQueue(channel, module, names);
  }

  /** One module's queue, bound to each of `names`; returns the queue's name. */
  async declareQueue(channel: Channel, module: string, names: Iterable<string>): Promise<string> {
    await channel.assertExchange(this.exchange, 'direct', { durable: true });
    const queue = this.queueOf(module);
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-single-active-consumer': true } });
    for (const name of names) await channel.bindQueue(queue, this.exchange, name);
    return queue;
  }
}
