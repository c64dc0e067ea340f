import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../src/telemetry/logger.ts';
import { defineApp, defineContract, defineModule, defineSaga, defineTopology, event, operation, settingsFromEnv, startService } from '../src/index.ts';

// A service with every background loop the boot starts: an outbox relay, an inbox worker
// (a subscription), a saga runner (a saga), an HTTP event transport. Its listen is made to fail.
const ping = defineContract('ping', {
  operations: { identity: operation({ input: z.object({}), output: z.object({ id: z.string() }) }) },
  events: { 'ping.pinged.v1': event(z.object({ n: z.number() })) },
});
const pong = defineContract('pong', { operations: {} });
const pingModule = defineModule(ping, { handlers: { identity: async () => ({ id: 'nobody' }) } });
const roundTrip = defineSaga('roundTrip', { input: z.object({}), steps: [{ name: 'only', action: async () => undefined }] });
const pongModule = defineModule(pong, {
  dependsOn: [ping],
  handlers: {},
  subscriptions: (on) => [on(ping.$events['ping.pinged.v1'], async () => {})],
  sagas: [roundTrip],
});
const app = defineApp({ name: 'failed-boot', version: '0', modules: [pingModule, pongModule], gateway: { identity: { signup: ping.identity, login: ping.identity } } });
// Only `pongs` boots: one database, the internal listener on a port another socket holds.
const topology = defineTopology({ name: 'two', services: { pings: { modules: ['ping'], roles: ['gateway'] }, pongs: { modules: ['pong'] } } });

const dataDir = await mkdtemp(join(tmpdir(), 'cleave-failed-boot-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

function holdPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

it('a boot whose listen fails (EADDRINUSE) closes what it opened: no timer of the service stays, nothing logs afterwards', async () => {
  const held = await holdPort();
  const port = (held.address() as { port: number }).port;
  const lines: string[] = [];
  const logger = createLogger({ service: 'pongs', level: 'debug', destination: new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }) });
  const timersBefore = timers();
  try {
    const env = { CLEAVE_DATA_DIR: dataDir, CLEAVE_SERVICE_PONGS_URL: `http://127.0.0.1:${port}`, CLEAVE_SERVICE_PINGS_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'debug' };
    const booting = startService({ app, topology, service: 'pongs', logger, settings: settingsFromEnv(env) });
    await expect(booting).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const linesAtFailure = lines.length;
    expect(timers()).toBeLessThanOrEqual(timersBefore);
    // A window of a few poll periods (the loops idle 250 ms): what is still running would log or poll in it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(timers()).toBeLessThanOrEqual(timersBefore);
    expect(lines.slice(linesAtFailure)).toEqual([]);
  } finally {
    held.close();
  }
}, 120_000); // one embedded database's start, which takes long on a loaded machine
