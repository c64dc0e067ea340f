/**
 * Does extracting media protect the API? The aggregated `GET /api/v1/posts/:id` (post +
 * author) under steady load (autocannon, fixed connections), with and without uploads
 * keeping media busy (JPEG uploads in a loop: each one is decoded and resized into three
 * thumbnails in media's worker threads), in two shapes, each as `cleave start` children:
 *   - monolith: one process hosts every module, media's worker threads included;
 *   - media-apart: the same modules with media in its own service (bench/media/topologies.ts).
 * Both shapes run MEDIA_WORKER_THREADS=1 (one core's worth of image work on this 2-core box),
 * LOG_LEVEL=warn, tracing on, PostgreSQL when DATABASE_URL is set (a fresh database per
 * shape), else PGlite. Phases per shape: idle (API load only), then busy (API + uploads).
 *
 *   tsx bench/media-isolation.ts
 *
 * BENCH_MEDIA_SECONDS (default 6), BENCH_MEDIA_CONNECTIONS (default 8), BENCH_MEDIA_UPLOADERS (default 2).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import sharp from 'sharp';
import { count, freePort, isMain, percentiles, waitUntil } from './lib/load.ts';
import type { Percentiles } from './lib/load.ts';
import { environment, formatTable, ratio, writeJson } from './lib/measure.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const cleaveBin = join(repoRoot, 'packages/cleave/bin/cleave.mjs');
const config = join(import.meta.dirname, 'media/topologies.ts');

const options = {
  seconds: Number(process.env.BENCH_MEDIA_SECONDS ?? 6),
  connections: Number(process.env.BENCH_MEDIA_CONNECTIONS ?? 8),
  uploaders: Number(process.env.BENCH_MEDIA_UPLOADERS ?? 2),
  users: 24,
};

let nextIp = 1;
const ipBase = Math.floor(Math.random() * 0xffff);
const newIp = () => `10.${(ipBase >> 8) & 255}.${(ipBase + (nextIp >> 8)) & 255}.${nextIp++ & 255}`;

async function freshDatabase(serverUrl: string) {
  const name = `cleave_bench_media_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = async () => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    await c.query(`drop database if exists "${name}" with (force)`);
    await c.end();
  };
  return { url: url.toString(), drop };
}

interface Shape {
  readonly id: 'monolith' | 'media-apart';
  readonly label: string;
}

async function start(shape: Shape) {
  const dataDir = await mkdtemp(join(tmpdir(), `cleave-bench-${shape.id}-`));
  const database = process.env.DATABASE_URL ? await freshDatabase(process.env.DATABASE_URL) : undefined;
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(CLEAVE_|NATS_URL$|REDIS_URL$|DATABASE_URL$|SMTP_URL$|LOG_LEVEL$|PORT$|MEDIA_)|_DATABASE_URL$/.test(key)) env[key] = value;
  }
  Object.assign(env, { PORT: String(port), CLEAVE_DATA_DIR: dataDir, CLEAVE_TRUST_PROXY: '1', LOG_LEVEL: 'warn', MEDIA_WORKER_THREADS: '1', ...(database ? { DATABASE_URL: database.url } : {}) });
  const internal: string[] = [];
  if (shape.id === 'media-apart') {
    env.CLEAVE_EVENTS = 'http';
    for (const name of ['app', 'media']) {
      const url = `http://127.0.0.1:${await freePort()}`;
      internal.push(url);
      env[`CLEAVE_SERVICE_${name.toUpperCase()}_URL`] = url;
    }
  }
  const child = spawn(process.execPath, [cleaveBin, '--config', config, 'start', '--topology', shape.id], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  const ready = async (url: string) => (await fetch(`${url}/readyz`)).status === 200;
  try {
    await waitUntil(shape.id, async () => (await ready(baseUrl)) && (await Promise.all(internal.map(ready))).every(Boolean), child, 300_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { baseUrl, stop };
}

async function api(baseUrl: string, path: string, init: { token?: string; body?: unknown; raw?: Uint8Array; type?: string } = {}) {
  const headers: Record<string, string> = { 'x-forwarded-for': newIp() };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = init.type ?? 'application/json';
  const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const res = await fetch(baseUrl + path, { method: body === undefined ? 'GET' : 'POST', headers, ...(body === undefined ? {} : { body: body as string }) });
  const text = await res.text();
  return { status: res.status, text, body: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, unknown> };
}

async function seed(baseUrl: string) {
  const sessions: { token: string; postId: string }[] = [];
  for (let i = 0; i < options.users; i++) {
    const res = await api(baseUrl, '/api/v1/auth/signup', { body: { email: `bench-${randomUUID()}@example.com`, password: `pw-${randomUUID()}`, name: `Bench ${i}` } });
    assert.equal(res.status, 201, res.text);
    const token = res.body.accessToken as string;
    const post = await api(baseUrl, '/api/v1/posts', { token, body: { title: `Post ${i}`, body: 'read under load' } });
    assert.equal(post.status, 201, post.text);
    sessions.push({ token, postId: post.body.id as string });
  }
  return sessions;
}

interface LoadResult {
  readonly requestsPerSecond: number;
  readonly latencyMs: Percentiles;
  readonly non2xx: number;
  readonly errors: number;
}

async function readLoad(baseUrl: string, sessions: readonly { token: string; postId: string }[], seconds: number): Promise<LoadResult> {
  const requests: autocannon.Request[] = Array.from({ length: sessions.length * 8 }, (_, i) => {
    const s = sessions[i % sessions.length]!;
    return { method: 'GET', path: `/api/v1/posts/${s.postId}`, headers: { authorization: `Bearer ${s.token}`, 'x-forwarded-for': newIp() } };
  });
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon({ url: baseUrl, connections: options.connections, duration: seconds, requests }, (err: unknown, res: autocannon.Result) => (err ? fail(err) : done(res)));
    instance.on('response', (...args: unknown[]) => latencies.push(args[3] as number));
  });
  return { requestsPerSecond: latencies.length / result.duration, latencyMs: percentiles(latencies), non2xx: result.non2xx, errors: result.errors };
}

/** Uploads in a loop until `stop`: each one is thumbnail work for media. */
function uploadLoop(baseUrl: string, sessions: readonly { token: string; postId: string }[], image: Uint8Array) {
  let running = true;
  let accepted = 0;
  let refused = 0;
  const loops = Array.from({ length: options.uploaders }, async (_, n) => {
    for (let i = n; running; i += options.uploaders) {
      const s = sessions[i % sessions.length]!;
      const res = await api(baseUrl, `/api/v1/posts/${s.postId}/image`, { token: s.token, raw: image, type: 'image/jpeg' });
      if (res.status === 202) accepted++;
      else refused++;
    }
  });
  return { stop: async () => ((running = false), await Promise.all(loops), { accepted, refused }) };
}

/** How many images media has made ready, from the posts that show one. */
async function imagesShown(baseUrl: string, sessions: readonly { token: string; postId: string }[]): Promise<number> {
  let shown = 0;
  for (const s of sessions) if ((await api(baseUrl, `/api/v1/posts/${s.postId}`, { token: s.token })).body.image) shown++;
  return shown;
}

export async function run(): Promise<void> {
  const loadBefore = loadavg();
  // A photo-sized JPEG of noise (1.6 MP): noise is what keeps a decoder and a resizer honest.
  const image = new Uint8Array(await sharp(randomBytes(1600 * 1000 * 3), { raw: { width: 1600, height: 1000, channels: 3 } }).jpeg({ quality: 80 }).toBuffer());
  const shapes: Shape[] = [
    { id: 'monolith', label: 'monolith (media in the same process)' },
    { id: 'media-apart', label: 'media as its own service' },
  ];
  const rows: { shape: Shape; phase: 'idle' | 'busy'; result: LoadResult; uploads?: { accepted: number; refused: number }; shownAfter?: number }[] = [];
  for (const shape of shapes) {
    const deployment = await start(shape);
    try {
      const sessions = await seed(deployment.baseUrl);
      await readLoad(deployment.baseUrl, sessions, 2); // warm-up
      rows.push({ shape, phase: 'idle', result: await readLoad(deployment.baseUrl, sessions, options.seconds) });
      const uploads = uploadLoop(deployment.baseUrl, sessions, image);
      await readLoad(deployment.baseUrl, sessions, 1); // let the backlog build
      const result = await readLoad(deployment.baseUrl, sessions, options.seconds);
      const done = await uploads.stop();
      rows.push({ shape, phase: 'busy', result, uploads: done, shownAfter: await imagesShown(deployment.baseUrl, sessions) });
    } finally {
      await deployment.stop();
    }
  }
  const loadAfter = loadavg();
  const idleOf = (id: string) => rows.find((r) => r.shape.id === id && r.phase === 'idle')!.result;
  const table = formatTable(
    ['shape', 'phase', 'req/s', 'p50 ms', 'p99 ms', 'p99 vs idle', 'req/s vs idle', 'non-2xx', 'uploads accepted', 'posts with image'],
    rows.map((r) => {
      const idle = idleOf(r.shape.id);
      return [
        r.shape.label,
        r.phase === 'idle' ? 'API only' : `API + ${options.uploaders} uploaders`,
        count(r.result.requestsPerSecond),
        r.result.latencyMs.p50.toFixed(1),
        r.result.latencyMs.p99.toFixed(1),
        ratio(r.result.latencyMs.p99 / idle.latencyMs.p99),
        ratio(r.result.requestsPerSecond / idle.requestsPerSecond),
        String(r.result.non2xx + r.result.errors),
        r.uploads ? String(r.uploads.accepted) : '-',
        r.shownAfter === undefined ? '-' : `${r.shownAfter}/${options.users}`,
      ];
    }),
  );
  console.log(table);
  const busy = (id: string) => rows.find((r) => r.shape.id === id && r.phase === 'busy')!.result;
  const monoBusy = busy('monolith');
  const apartBusy = busy('media-apart');
  console.log(`\nunder uploads, media-apart vs monolith: p99 ${ratio(apartBusy.latencyMs.p99 / monoBusy.latencyMs.p99)}, p50 ${ratio(apartBusy.latencyMs.p50 / monoBusy.latencyMs.p50)}, req/s ${ratio(apartBusy.requestsPerSecond / monoBusy.requestsPerSecond)}`);
  console.log(`load average (1 min) before ${loadBefore[0]!.toFixed(1)}, after ${loadAfter[0]!.toFixed(1)}; database: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}; image ${count(image.byteLength)} bytes JPEG 1600x1000`);
  writeJson(join(import.meta.dirname, 'results/media-isolation.json'), { environment: environment(), options, loadBefore, loadAfter, rows });
}

if (isMain(import.meta.url)) await run();
