import { Redis } from 'ioredis';
import type { Logger } from '../telemetry/logger.ts';

/**
 * The two Redis connections BullMQ asks for, as every BullMQ user in Cleave opens them
 * (the event transport, the jobs backend). A producer fails fast while Redis is away —
 * no offline queue, one retry — so the caller's outbox keeps its rows and tries again
 * instead of piling commands up (BullMQ's advice for producers). A worker's waits for Redis
 * to come back (`maxRetriesPerRequest: null`, BullMQ's rule for workers). Both reconnect on
 * their own; their errors are logged at debug, as the caller reports what failed.
 */
export function bullmqProducerConnection(url: string, name: string, logger: Logger, what: string): Redis {
  const connection = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: name });
  connection.on('error', (err) => logger.debug({ err }, `${what}: producer connection failed; reconnecting`));
  return connection;
}

export function bullmqWorkerConnection(url: string, name: string, logger: Logger, what: string): Redis {
  const connection = new Redis(url, { maxRetriesPerRequest: null, connectionName: name });
  connection.on('error', (err) => logger.debug({ err }, `${what}: worker connection failed; reconnecting`));
  return connection;
}
