/**
 * How long a job waits to start: enqueue committed → handler running, on each jobs backend,
 * in the monolith (the job runs in the enqueuing service) and split (the topology gives the
 * module's jobs to a `worker` service, as the reference split does with notifications). Both
 * services run in this process, so the handler reports its start to the bench directly; the
 * split's enqueuer and worker still share nothing but the database (and Redis).
 *
 * Per row, BENCH_JOBS_N jobs one after the other, each after a random pause of up to
 * BENCH_JOBS_GAP_MS (so the table worker's poll is sampled at every phase, not in step with
 * it). The floor in the same run: a bare BullMQ add → worker on the same Redis.
 *
 *   DATABASE_URL=… REDIS_URL=… tsx bench/jobs-latency.ts
 *
 * BENCH_JOBS_N (default 20), BENCH_JOBS_GAP_MS (default 2000).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { defineApp, defineContract, defineJob, defineModule, defineTopology, operation, settingsFromEnv, startService } from '@cleavejs/core';
import type { RunningService } from '@cleavejs/core';
import { createTestDatabase } from '@cleavejs/core/testing';
import { newTraceContext } from '../packages/cleave/src/telemetry/trace-context.ts';
import { environment, formatTable, writeJson } from './lib/measure.ts';
import { freePort, isMain, percentiles, us } from './lib/load.ts';

const N = Number(process.env.BENCH_JOBS_N ?? 20);
const GAP_MS = Number(process.env.BENCH_JOBS_GAP_MS ?? 2_000);

/** Resolvers of the jobs in flight, by payload id: the handler calls its own. */
const started = new Map<string, () => void>();

const touch = defineJob('touch', {
  payload: z.object({ id: z.string() }),
  handler: async ({ id }) => started.get(id)?.(),
});
const contract = defineContract('bench', { operations: { ping: operation({ input: z.object({}), output: z.object({}) }) } });
const benchModule = defineModule(contract, { migrations: {}, handlers: { ping: async () => ({}) }, jobs: [touch] });
const app = defineApp({ name: 'jobs-bench', version: '0', modules: [benchModule] });
const monolith = defineTopology({ name: 'monolith', services: { one: { modules: ['bench'], roles: ['gateway'] } } });
const split = defineTopology({ name: 'split', services: { api: { modules: ['bench'], roles: ['gateway'] }, worker: { modules: [], roles: ['worker'], jobs: ['bench'] } } });

/** Starts `count` jobs one after another, each after a random pause, by `enqueue(id)`; the µs from the call to the handler running. */
async function timeStarts(count: number, enqueue: (id: string) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    await new Promise((r) => setTimeout(r, Math.random() * GAP_MS));
    const id = randomUUID();
    const running = new Promise<void>((resolve) => started.set(id, resolve));
    const t0 = performance.now();
    await enqueue(id);
    await running;
    samples.push((performance.now() - t0) * 1_000);
    started.delete(id);
  }
  return samples;
}

function measureRow(services: readonly RunningService[], count: number): Promise<number[]> {
  const enqueuer = services[0]!.modules.get('bench')!;
  return timeStarts(count, (id) => enqueuer.transaction(newTraceContext(false), (tx) => tx.enqueue(touch, { id })));
}

async function cleaveRow(topology: typeof monolith, backend: 'database' | 'bullmq', databaseUrl: string, redisUrl: string | undefined): Promise<number[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cleave-jobs-bench-'));
  const names = Object.keys(topology.services);
  const ports = await Promise.all(names.map(() => freePort()));
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    CLEAVE_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    CLEAVE_TRACING: 'off',
    CLEAVE_JOBS: backend,
    CLEAVE_EVENTS: topology === split ? 'http' : 'local',
    ...(redisUrl ? { REDIS_URL: redisUrl, CLEAVE_JOBS_NAMESPACE: `bench-${randomUUID().slice(0, 8)}` } : {}),
    ...Object.fromEntries(names.map((name, i) => [`CLEAVE_SERVICE_${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[i]}`])),
  };
  const services: RunningService[] = [];
  try {
    const publicPort = await freePort();
    for (const name of names) services.push(await startService({ app, topology, service: name, settings: settingsFromEnv({ ...env, PORT: String(publicPort) }) }));
    await measureRow(services, 1); // warm-up: the first job pays for connections and prepared statements
    return await measureRow(services, N);
  } finally {
    for (const s of services.reverse()) await s.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The floor: a bare BullMQ job added and picked up by a worker on the same Redis, no database. */
async function rawBullmqRow(redisUrl: string): Promise<number[]> {
  const name = `bench_jobs_${randomUUID().slice(0, 8)}`;
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<{ id: string }>(name, { connection: producer });
  const worker = new Worker<{ id: string }>(name, async (job) => started.get(job.data.id)?.(), { connection: workerConnection, removeOnComplete: { count: 0 } });
  try {
    await worker.waitUntilReady();
    return await timeStarts(N, (id) => queue.add('touch', { id }, { removeOnComplete: true }));
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    producer.disconnect();
    workerConnection.disconnect();
  }
}

export async function run(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!serverUrl) {
    console.log('jobs latency: skipped (needs DATABASE_URL; REDIS_URL adds the BullMQ rows)');
    return;
  }
  const load = loadavg()[0]!.toFixed(1);
  const rows: { name: string; samples: number[] }[] = [];
  const database = await createTestDatabase(serverUrl, 'cleave_jobs_bench');
  try {
    for (const [label, topology] of [['monolith', monolith], ['split, jobs on worker', split]] as const) {
      rows.push({ name: `${label}, table worker`, samples: await cleaveRow(topology, 'database', database.url, undefined) });
      if (redisUrl) rows.push({ name: `${label}, BullMQ`, samples: await cleaveRow(topology, 'bullmq', database.url, redisUrl) });
    }
    if (redisUrl) rows.push({ name: 'floor: bare BullMQ add → worker', samples: await rawBullmqRow(redisUrl) });
  } finally {
    await database.drop();
  }
  const stats = rows.map((r) => ({ name: r.name, ...percentiles(r.samples) }));
  console.log(`enqueue committed → handler running, ${N} jobs per row, random gaps ≤ ${GAP_MS} ms, load ${load} at start`);
  const ms = (v: number) => us(v / 1_000);
  console.log(formatTable(['row (ms)', 'p50', 'p90', 'p99', 'max'], stats.map((s) => [s.name, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)])));
  const p50 = (name: string) => stats.find((s) => s.name === name)?.p50;
  const splitTable = p50('split, jobs on worker, table worker');
  const splitBullmq = p50('split, jobs on worker, BullMQ');
  const floor = p50('floor: bare BullMQ add → worker');
  if (splitTable !== undefined && splitBullmq !== undefined) console.log(`split: table worker / BullMQ p50 = ${(splitTable / splitBullmq).toFixed(1)}x`);
  if (splitBullmq !== undefined && floor !== undefined) console.log(`split BullMQ / bare BullMQ p50 = ${(splitBullmq / floor).toFixed(1)}x (the row's claim, outcome and relay)`);
  writeJson('bench/results/jobs-latency.json', { environment: environment(), load, n: N, gapMs: GAP_MS, rows: stats });
}

if (isMain(import.meta.url)) await run();
