import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppDefinition } from '../runtime/define-app.ts';
import { serviceUrlVariable } from '../runtime/service-directory.ts';
import { settingsFromEnv } from '../runtime/settings.ts';
import { startService } from '../runtime/start-service.ts';
import type { RunningService } from '../runtime/start-service.ts';
import type { Topology } from '../runtime/topology.ts';
import { freePort } from './free-port.ts';
import { createTestDatabase } from './test-database.ts';

export interface TestAppOptions {
  readonly app: AppDefinition;
  /** Default: one service hosting every module, with the gateway role (a monolith). */
  readonly topology?: Topology;
  /**
   * The services' environment, as `cleave start` would read it. Of the process's own
   * environment only `DATABASE_URL` is used (a fresh database is created on that server
   * and dropped at `stop`); without it, the embedded database in a temporary data dir.
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Listen on loopback ports (`url` is set). Default: only for a topology of several
   * services (they call each other over HTTP); one service is served in process.
   */
  readonly listen?: boolean;
}

/** `fetch`'s options, plus `json`: a body sent as JSON with its content type. */
export interface TestRequestInit extends RequestInit {
  readonly json?: unknown;
}

export interface TestApp {
  /** The gateway's URL when listening. */
  readonly url: string | undefined;
  /** Where the services keep embedded data and generated keys; removed at `stop`. */
  readonly dataDir: string;
  readonly services: ReadonlyMap<string, RunningService>;
  /** Sends a request to the gateway: `request('/api/v1/greetings/Ada')`. */
  request(path: string, init?: TestRequestInit): Promise<Response>;
  /** The gateway as a web-standard handler. */
  fetch(request: Request): Promise<Response>;
  /** Stops every service, drops the test database, deletes the data dir. */
  stop(): Promise<void>;
}

/**
 * Starts an app in this process for a test: every service of the topology, on a
 * temporary data dir, with logs silenced (`LOG_LEVEL` in `env` to see them).
 *
 * @example
 * const app = await startTestApp({ app: myApp });
 * const res = await app.request('/api/v1/greetings/Ada');
 * assert.equal(res.status, 200);
 * await app.stop();
 */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const { app } = options;
  const topology = options.topology ?? {
    name: 'test',
    services: { app: { modules: app.modules.map((m) => m.name), roles: ['gateway'] } },
  };
  const names = Object.keys(topology.services);
  const listen = options.listen ?? names.length > 1;
  if (names.length > 1 && !listen) throw new Error('startTestApp: a topology of several services needs listen: true');

  const dataDir = await mkdtemp(join(tmpdir(), `cleave-test-${app.name}-`));
  const serverUrl = process.env.DATABASE_URL;
  const database = serverUrl && !options.env?.DATABASE_URL ? await createTestDatabase(serverUrl) : undefined;
  const env: Record<string, string> = {
    CLEAVE_DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    CLEAVE_EVENTS_NAMESPACE: `test_${randomBytes(4).toString('hex')}`,
    ...(database ? { DATABASE_URL: database.url } : {}),
  };
  if (names.length > 1) for (const name of names) env[serviceUrlVariable(name)] = `http://127.0.0.1:${await freePort()}`;
  Object.assign(env, options.env);

  const services = new Map<string, RunningService>();
  const stop = async () => {
    await Promise.allSettled([...services.values()].map((s) => s.stop()));
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    // Together: in a split topology a service's first calls may go to another.
    const started = await Promise.all(
      names.map((service) => startService({ app, topology, service, settings: settingsFromEnv(env), listen })),
    );
    for (const service of started) services.set(service.name, service);
  } catch (err) {
    await stop();
    throw err;
  }
  const gateway = [...services.values()].find((s) => s.gateway !== undefined);
  if (gateway === undefined) throw new Error(`startTestApp: no service of topology "${topology.name}" has the gateway role`);

  const fetch = async (request: Request) => gateway.fetch(request);
  return {
    url: gateway.publicUrl,
    dataDir,
    services,
    fetch,
    request(path, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      const body = json === undefined ? rest.body : JSON.stringify(json);
      return fetch(new Request(new URL(path, gateway.publicUrl ?? 'http://localhost'), { ...rest, headers, ...(body === undefined ? {} : { body }) }));
    },
    stop,
  };
}
