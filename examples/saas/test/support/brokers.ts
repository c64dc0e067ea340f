import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BullmqQueues } from './bullmq.ts';
import { NatsConsumers } from './event-audit.ts';
import type { ModuleDatabases } from './event-audit.ts';
import { freePort } from './free-port.ts';
import { findOnPath, NatsServerProcess } from './nats-server.ts';
import { RabbitQueues } from './rabbitmq.ts';
import { findRabbitServer, RabbitServerProcess } from './rabbitmq-server.ts';
import { RedisServerProcess } from './redis-server.ts';

/** What the event tests ask of a broker: whether anything still waits in it, and what it holds. */
export interface BrokerProbe {
  idle(): Promise<boolean>;
  state(module: string): Promise<unknown>;
  close(): Promise<void>;
}

/** A broker server of a test's own, which it may stop and start again. */
export interface OwnServer {
  readonly url: string;
  readonly running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and removes its data. */
  remove(): Promise<void>;
}

/** A broker the event tests run on: the shared server's URL (tests skip without it), the service settings, a probe. */
export interface Broker {
  readonly name: string;
  readonly url: string | undefined;
  env(url: string, namespace: string): Record<string, string>;
  probe(url: string, namespace: string, dbs: ModuleDatabases): Promise<BrokerProbe>;
  /** The server binary for a private server, or undefined when it is not installed. */
  readonly serverBin: string | undefined;
  ownServer(): Promise<OwnServer>;
}

async function own<T extends { stop(): Promise<void>; start(): Promise<void>; readonly url: string; readonly running: boolean }>(make: (dir: string) => Promise<T>): Promise<OwnServer> {
  const dir = await mkdtemp(join(tmpdir(), 'cleave-broker-'));
  const server = await make(dir);
  return {
    get url() {
      return server.url;
    },
    get running() {
      return server.running;
    },
    start: () => server.start(),
    stop: () => server.stop(),
    async remove() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const natsBin = findOnPath('nats-server');
const rabbitBin = findRabbitServer();
const redisBin = findOnPath('redis-server');

export const brokers: readonly Broker[] = [
  {
    name: 'NATS',
    url: process.env.NATS_URL,
    env: (url, namespace) => ({ NATS_URL: url, CLEAVE_EVENTS: 'nats', CLEAVE_EVENTS_NAMESPACE: namespace }),
    probe: (url, namespace, dbs) => NatsConsumers.open(url, namespace, dbs),
    serverBin: natsBin,
    ownServer: () => own(async (dir) => new NatsServerProcess(natsBin as string, await freePort(), dir)),
  },
  {
    name: 'RabbitMQ',
    url: process.env.RABBITMQ_URL,
    env: (url, namespace) => ({ RABBITMQ_URL: url, CLEAVE_EVENTS: 'rabbitmq', CLEAVE_EVENTS_NAMESPACE: namespace }),
    probe: (url, namespace) => RabbitQueues.open(url, namespace, ['posts', 'notifications']),
    serverBin: rabbitBin,
    ownServer: () => own(async (dir) => new RabbitServerProcess(rabbitBin as string, await freePort(), await freePort(), dir)),
  },
  {
    name: 'BullMQ',
    url: process.env.REDIS_URL,
    env: (url, namespace) => ({ REDIS_URL: url, CLEAVE_EVENTS: 'bullmq', CLEAVE_EVENTS_NAMESPACE: namespace }),
    probe: async (url, namespace) => BullmqQueues.open(url, namespace, ['posts', 'notifications']),
    serverBin: redisBin,
    ownServer: () => own(async (dir) => new RedisServerProcess(redisBin as string, await freePort(), dir)),
  },
];
