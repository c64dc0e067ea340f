import amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { app } from '../../app.ts';

/** Removes the exchange and the queues a test deployment made under `namespace` (queue names as RabbitTopology makes them). */
export async function deleteRabbitNamespace(url: string, namespace: string): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const module of app.modules) await channel.deleteQueue(`cleave.${namespace}.${module.name}`);
    await channel.deleteExchange(`cleave.${namespace}`);
  } finally {
    await connection.close();
  }
}

/** A subscriber's queue as the broker reports it: messages ready, and consumers attached. */
export interface QueueState {
  readonly ready: number;
  readonly consumers: number;
}

/** Reads the subscribers' queues of a deployment: drained when no message waits in any. */
export class RabbitQueues {
  private constructor(private readonly connection: ChannelModel, private readonly namespace: string, private readonly modules: readonly string[]) {}

  static async open(url: string, namespace: string, modules: readonly string[]): Promise<RabbitQueues> {
    return new RabbitQueues(await amqp.connect(url), namespace, modules);
  }

  async state(module: string): Promise<QueueState> {
    // A channel per check: checkQueue on a missing queue closes the channel it ran on.
    const channel = await this.connection.createChannel();
    try {
      const q = await channel.checkQueue(`cleave.${this.namespace}.${module}`);
      return { ready: q.messageCount, consumers: q.consumerCount };
    } finally {
      await channel.close().catch(() => {});
    }
  }

  async idle(): Promise<boolean> {
    for (const module of this.modules) if ((await this.state(module)).ready > 0) return false;
    return true;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
