import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { z } from 'zod';
import { defineApp, defineContract, defineModule, defineTopology, operation, settingsFromEnv, startService } from '../src/index.ts';

// A module whose one operation waits until the test lets it finish: a request in flight.
let release!: () => void;
let entered!: () => void;
const inFlight = new Promise<void>((resolve) => (entered = resolve));
const gate = new Promise<void>((resolve) => (release = resolve));

const slow = defineContract('slow', {
  operations: {
    wait: operation({ input: z.object({}), output: z.object({ done: z.boolean() }), http: { method: 'GET', path: '/wait', auth: 'public' } }),
  },
});
const slowModule = defineModule(slow, {
  handlers: {
    async wait() {
      entered();
      await gate;
      return { done: true };
    },
  },
});
const app = defineApp({ name: 'shutdown', version: '0', modules: [slowModule] });
const topology = defineTopology({ name: 'one', services: { one: { modules: ['slow'], roles: ['gateway'] } } });

const dataDir = await mkdtemp(join(tmpdir(), 'cleave-shutdown-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

it('on stop, refuses new connections, finishes requests in flight, then closes', async () => {
  const service = await startService({ app, topology, settings: settingsFromEnv({ CLEAVE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' }) });
  const url = service.url as string;
  const pending = get(`${url}/api/v1/wait`);
  await inFlight;

  let stopped = false;
  const stopping = service.stop().then(() => (stopped = true));
  // The listening socket closes at once: a new request cannot get in.
  await expect(get(`${url}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  expect(stopped).toBe(false);

  release();
  const answer = await pending;
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toEqual({ done: true });
  await stopping;
  expect(stopped).toBe(true);
  // Databases are closed: the module's database refuses queries.
  await expect(service.modules.get('slow')?.db.selectNoFrom((eb) => eb.val(1).as('x')).execute()).rejects.toThrow();
});
