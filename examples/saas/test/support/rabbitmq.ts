import amqp from 'amqplib';
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
