import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Topology } from '@cleavejs/core';
import { split } from '../../topologies/split.ts';
import { freePort } from './free-port.ts';
import { deleteBullmqNamespace } from './bullmq.ts';
import { deleteNatsNamespace, natsNamespace } from './nats.ts';
import { deleteRabbitNamespace } from './rabbitmq.ts';
import { createTestDatabase } from './postgres.ts';
import { serviceToken } from './service-token.ts';
import type { Target, TargetOptions } from './target.ts';
import { isReady, waitFor } from './wait-for.ts';

const repoRoot = resolve(import.meta.dirname, '../../../..');
const cleaveBin = join(repoRoot, 'packages/cleave/bin/cleave.mjs');

/** A split deployment: what the fault and security tests need beyond the API. */
export interface SplitTarget extends Target {
  /** Internal URL of each service. */
  readonly services: Readonly<Record<string, string>>;
  /** Process id of a service, as it reports it (changes when the supervisor restarts it). */
  pidOf(service: string): Promise<number>;
  readonly databaseUrls: Readonly<Record<string, string>>;
}

/**
 * The split topology as an operator runs it: `cleave start --topology split`, a
 * supervisor with one OS process per service (or any other topology: `monolith` is one
 * process, its `services` empty), each with its own database (a schema per module on the
 * embedded PostgreSQL server the supervisor owns, or a fresh PostgreSQL database per module).
 */
export async function startSplit(options: TargetOptions & { readonly topology?: Topology } = {}): Promise<SplitTarget> {
  const topology = options.topology ?? split;
  const dataDir = await mkdtemp(join(tmpdir(), 'cleave-split-'));
  const services: Record<string, string> = {};
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    CLEAVE_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    CLEAVE_TRUST_PROXY: '1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    CLEAVE_EVENTS_NAMESPACE: natsNamespace('split'),
    ...options.env,
  };
  delete env.DATABASE_URL;
  // A one-service topology (the monolith) runs in the `cleave start` process itself, with
  // no supervisor and no internal listener: only its public port to wait for.
  const supervised = Object.keys(topology.services).length > 1;
  for (const name of supervised ? Object.keys(topology.services) : []) {
    services[name] = `http://127.0.0.1:${await freePort()}`;
    env[`CLEAVE_SERVICE_${name.toUpperCase()}_URL`] = services[name];
  }
  const databases: { drop: () => Promise<void> }[] = [];
  const databaseUrls: Record<string, string> = {};
  if (options.postgresUrl) {
    // A database per module, as when each service has its own server.
    for (const schema of ['users', 'posts', 'notifications', 'inventory', 'payments', 'orders', 'media', 'cleave_sessions']) {
      const database = await createTestDatabase(options.postgresUrl, `cleave_split_${schema}`);
      databases.push(database);
      databaseUrls[schema] = database.url;
      env[`${schema.toUpperCase()}_DATABASE_URL`] = database.url;
    }
  }
  const child: ChildProcess = spawn(process.execPath, [cleaveBin, '--config', join(repoRoot, 'cleave.config.ts'), 'start', '--topology', topology.name], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const baseUrl = `http://127.0.0.1:${env.PORT}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await Promise.all(databases.map((d) => d.drop()));
    if (env.NATS_URL && env.CLEAVE_EVENTS !== 'http') await deleteNatsNamespace(env.NATS_URL, env.CLEAVE_EVENTS_NAMESPACE as string);
    if (env.RABBITMQ_URL && env.CLEAVE_EVENTS === 'rabbitmq') await deleteRabbitNamespace(env.RABBITMQ_URL, env.CLEAVE_EVENTS_NAMESPACE as string);
    if (env.REDIS_URL && env.CLEAVE_EVENTS === 'bullmq') await deleteBullmqNamespace(env.REDIS_URL, env.CLEAVE_EVENTS_NAMESPACE as string);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor('the split topology to be ready', async () => {
      if (child.exitCode !== null) throw new Error('supervisor exited');
      if (!(await isReady(baseUrl)) || !(await Promise.all(Object.values(services).map(isReady))).every(Boolean)) return false;
      // A port picked as free may have been taken by another process meanwhile: make sure
      // each address answers as the service it should be, or fail now with a clear reason.
      for (const [name, url] of Object.entries(services)) {
        const info = (await serviceInfo(dataDir, name, url, Object.keys(services))) as { service: string };
        if (info.service !== name) throw new Error(`${url} answers as service "${info.service}", not "${name}": port taken by another process`);
      }
      return true;
    }, Number(process.env.CLEAVE_TEST_BOOT_TIMEOUT_MS ?? 120_000)); // a loaded machine may need longer
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: `${topology.name} on ${options.postgresUrl ? 'PostgreSQL' : 'embedded PostgreSQL'}`,
    baseUrl,
    dataDir,
    services,
    databaseUrls,
    async pidOf(service) {
      return ((await serviceInfo(dataDir, service, services[service]!, Object.keys(services))) as { pid: number }).pid;
    },
    stop,
  };
}

/**
 * `/_cleave/info` of a service, asked with a service token as services of the topology ask
 * it: signed by the service itself, or, for a foreign service that keeps its key elsewhere
 * (the Python media of `polyglot`), by another service of the topology.
 */
async function serviceInfo(dataDir: string, service: string, url: string, topologyServices: readonly string[]): Promise<unknown> {
  for (const issuer of [service, ...topologyServices.filter((s) => s !== service)]) {
    const token = await serviceToken(dataDir, issuer, service).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (token === undefined) continue;
    const res = await fetch(`${url}/_cleave/info`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${url}/_cleave/info answered ${res.status} to a token of "${issuer}": ${await res.text()}`);
    return res.json();
  }
  throw new Error(`no service of the topology has a key in ${dataDir}/keys to ask ${url}`);
}
