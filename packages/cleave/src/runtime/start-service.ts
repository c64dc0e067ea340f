import { join } from 'node:path';
import type { Hono } from 'hono';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { loadSigningKey } from '../auth/signing-key.ts';
import { SESSIONS_SCHEMA, sessionMigrations, SessionStore } from '../auth/session-store.ts';
import type { SessionsDb } from '../auth/session-store.ts';
import { UserTokens } from '../auth/user-tokens.ts';
import { checkBoundaries } from '../check/boundaries.ts';
import { migrateModule } from '../data/migrations.ts';
import type { Migrations } from '../data/migrations.ts';
import { openModuleDatabase } from '../data/module-database.ts';
import type { ModuleDatabase } from '../data/module-database.ts';
import { createGateway } from '../gateway/create-gateway.ts';
import type { GatewayEnv } from '../gateway/gateway-env.ts';
import { defaultRateLimits } from '../gateway/rate-limit.ts';
import { redisLimiters } from '../gateway/redis-limiter.ts';
import type { LimiterFactory } from '../gateway/rate-limit.ts';
import type { AnyModule } from '../module/define-module.ts';
import { createLogger } from '../telemetry/logger.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Tracer } from '../telemetry/tracer.ts';
import { InProcessTransport } from '../transport/in-process.ts';
import { CallRouter } from './call-router.ts';
import type { AppDefinition } from './define-app.ts';
import { listen } from './http-server.ts';
import { startTracing } from './start-tracing.ts'; // issue 10
import { createServiceMetrics } from './start-metrics.ts'; // issue 10
import { EVENT_TABLES_MIGRATION_TABLE, eventTableMigrations } from '../events/event-tables.ts';
import { startEventRuntime } from '../events/event-runtime.ts';
import { SagaRunner } from '../saga/saga-runner.ts';
import { SAGA_MIGRATION_TABLE, sagaTableMigrations } from '../saga/saga-tables.ts';
import type { EventRuntime } from '../events/event-runtime.ts';
import { chooseEventTransport } from './event-transport-choice.ts';
import { createInternalServer } from '../transport/internal-server.ts';
import { wireRemoteCalls } from './remote-calls.ts';
import { accessMatrix } from './service-access.ts';
import { internalPort } from './service-directory.ts';
import type { HttpServer } from './http-server.ts';
import { ModuleRuntime } from './module-runtime.ts';
import { databaseFor } from './settings.ts';
import type { ServiceSettings } from './settings.ts';
import { hostOf, validateTopology } from './topology.ts';
import { HttpEventTransport } from '../events/transports/http-transport.ts';
import type { EventEnvelope } from '../events/event-envelope.ts';
import type { Topology } from './topology.ts';

export interface StartServiceOptions {
  readonly app: AppDefinition;
  readonly topology: Topology;
  /** Which service of the topology this process runs. Default: the only one. */
  readonly service?: string;
  readonly settings: ServiceSettings;
  /** Listen on a socket (default). `false`: build everything, serve through `fetch` only. */
  readonly listen?: boolean;
  readonly logger?: Logger;
  readonly limiterFactory?: LimiterFactory;
}

export interface RunningService {
  readonly name: string;
  /** The public URL when this service is the gateway, else its internal URL. */
  readonly url: string | undefined;
  readonly publicUrl: string | undefined;
  /** Where other services call this one (multi-service topologies only). */
  readonly internalUrl: string | undefined;
  readonly fetch: (req: Request) => Response | Promise<Response>;
  readonly gateway: Hono<GatewayEnv> | undefined;
  readonly modules: ReadonlyMap<string, ModuleRuntime>;
  readonly events: EventRuntime;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** Graceful stop: refuse new work, finish requests in flight, close databases. */
  stop(): Promise<void>;
}

/**
 * Boots one service of a topology: checks module boundaries, opens each hosted module's
 * database and applies its migrations, wires calls (in-process for hosted modules),
 * mounts the gateway when the service has that role, and listens.
 */
export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const { app, topology, settings } = options;
  validateTopology(app, topology);
  const serviceNames = Object.keys(topology.services);
  const name = options.service ?? (serviceNames.length === 1 ? serviceNames[0] : undefined);
  const spec = name === undefined ? undefined : topology.services[name];
  if (name === undefined || spec === undefined) {
    throw new Error(`choose a service of topology "${topology.name}": ${serviceNames.join(', ')}`);
  }
  const logger = options.logger ?? createLogger({ service: name, level: settings.logLevel });
  const metrics = createServiceMetrics(name, settings); // issue 10: GET /metrics
  const tracing = startTracing(topology, name, settings, metrics.spans); // issue 10: OTLP export, local span store or forwarding
  const tracer = tracing.tracer;
  const hosted = spec.modules.map((m) => app.modules.find((d) => d.name === m) as AnyModule);

  await assertBoundaries(app.modules, new Set(spec.modules));

  const databases: ModuleDatabase<unknown>[] = [];
  const closers: (() => Promise<void>)[] = [];
  const closeDatabases = () => Promise.allSettled(databases.map((d) => d.close()));
  try {
    const open = async (schema: string, migrations: Migrations) => {
      const database = await openModuleDatabase<unknown>(schema, databaseFor(settings, schema));
      databases.push(database);
      const applied = await migrateModule(database.db, schema, migrations);
      if (applied.length) logger.info({ module: schema, applied }, 'migrations applied');
      return database;
    };

    const router = new CallRouter();
    const modules = new Map<string, ModuleRuntime>();
    // Opened together: each embedded database takes a second or two to start.
    const opened = await Promise.all(
      hosted.map(async (definition) => {
        const database = await open(definition.name, definition.migrations);
        // The framework's own tables (outbox, inbox; sagas, idempotency keys), in their own migration histories.
        await migrateModule(database.db, definition.name, eventTableMigrations, EVENT_TABLES_MIGRATION_TABLE);
        await migrateModule(database.db, definition.name, sagaTableMigrations, SAGA_MIGRATION_TABLE);
        return { definition, database };
      }),
    );
    for (const { definition, database } of opened) {
      const runtime = new ModuleRuntime(definition, database.db, logger, tracer, router);
      modules.set(definition.name, runtime);
      router.register(definition.name, new InProcessTransport(runtime));
    }
    const multiService = Object.keys(topology.services).length > 1;
    const remote = multiService ? await wireRemoteCalls(app, topology, name, settings, router, tracer) : undefined;
    if (remote) tracing.connect(remote.issuer); // issue 10
    metrics.watch(modules, router, topology, app.modules.map((m) => m.name)); // issue 10

    const eventTransport = await chooseEventTransport({ app, topology, service: name, settings, multiService, remote, logger });
    const events = await startEventRuntime(
      hosted.map((definition) => ({ runtime: modules.get(definition.name) as ModuleRuntime, subscriptions: definition.subscriptions })),
      eventTransport,
      logger,
    );
    closers.push(() => events.stop());
    for (const definition of hosted.filter((d) => d.sagas.length > 0)) {
      const runtime = modules.get(definition.name) as ModuleRuntime;
      const runner = new SagaRunner(runtime, definition.sagas);
      runtime.onSagaStarted = () => runner.wake();
      runner.start(); // resumes sagas left unfinished by a previous run
      closers.push(() => runner.stop());
    }

    let draining = false;
    const isReady = async () => {
      if (draining) return false;
      const probes = databases.map((d) => sql`select 1`.execute(d.db).then(() => true, () => false));
      return (await Promise.all(probes)).every(Boolean);
    };

    let gateway: Hono<GatewayEnv> | undefined;
    if (spec.roles?.includes('gateway')) {
      const sessionsDb = await open(SESSIONS_SCHEMA, sessionMigrations);
      const key = await loadSigningKey({ name: 'user-tokens', dir: join(settings.dataDir, 'keys'), privateJwk: settings.userTokenKey });
      const tokens = new UserTokens(key, { issuer: `cleave:${app.name}`, audience: `${app.name}-api`, accessTokenTtlSeconds: settings.accessTokenTtlSeconds });
      const sessions = new SessionStore(sessionsDb.db as Kysely<SessionsDb>, {
        refreshTtlSeconds: settings.refreshTokenTtlSeconds,
        accessTtlSeconds: settings.accessTokenTtlSeconds,
      });
      await sessions.loadRecentRevocations();
      let limiterFactory = options.limiterFactory;
      if (limiterFactory === undefined && settings.redisUrl) {
        const limiters = redisLimiters(settings.redisUrl, app.name);
        closers.push(limiters.close);
        if (!(await limiters.ready())) logger.warn('Redis is not reachable yet: rate limits count per replica until it is');
        limiterFactory = limiters.factory;
      }
      gateway = createGateway({
        service: name,
        router,
        contracts: app.modules.map((m) => m.contract),
        aggregates: app.gateway.aggregates ?? [],
        identity: app.gateway.identity,
        tokens,
        sessions,
        jwks: () => [key.publicJwk],
        rateLimits: app.gateway.rateLimits ?? defaultRateLimits,
        ...(limiterFactory ? { limiterFactory } : {}),
        bodyLimitBytes: settings.bodyLimitBytes,
        requestTimeoutMs: settings.requestTimeoutMs,
        trustProxy: settings.trustProxy,
        tracer,
        logger,
        isReady,
        info: { title: `${app.name} API`, version: app.version },
      });
    }

    if (gateway) tracing.mountAdmin(gateway); // issue 10
    if (gateway) metrics.mount(gateway); // issue 10
    const servers: HttpServer[] = [];
    let internalUrl: string | undefined;
    if (remote && options.listen !== false) {
      const internal = createInternalServer({
        service: name,
        hosts: modules,
        verifier: remote.verifier,
        mayCall: accessMatrix(app, topology),
        jwks: () => [remote.key.publicJwk],
        isReady,
        maxDeadlineMs: settings.requestTimeoutMs,
        bodyLimitBytes: settings.bodyLimitBytes,
        logger,
        ...(eventTransport instanceof HttpEventTransport
          ? { events: { hostOf: (module: string) => hostOf(topology, module), receive: (batch: readonly EventEnvelope[]) => eventTransport.receive(batch) } }
          : {}),
      });
      tracing.mountIngest(internal, remote.verifier); // issue 10
      metrics.mount(internal); // issue 10
      const server = await listen(internal.fetch, internalPort(topology, name, settings.env), settings.host);
      servers.push(server);
      internalUrl = server.url;
    }
    let publicUrl: string | undefined;
    if (gateway && options.listen !== false) {
      const server = await listen(gateway.fetch, settings.port ?? 3000, settings.host);
      servers.push(server);
      publicUrl = server.url;
    }
    const fetch = gateway ? gateway.fetch : () => new Response('not found', { status: 404 });

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        draining = true;
        await Promise.all(servers.map((server) => server.close()));
        await Promise.allSettled(closers.map((close) => close()));
        await router.close();
        await closeDatabases();
        await tracer.shutdown();
        logger.info('stopped');
      })());

    logger.info({ modules: spec.modules, url: publicUrl, internalUrl }, 'service started');
    return { name, url: publicUrl ?? internalUrl, publicUrl, internalUrl, fetch, gateway, modules, events, tracer, logger, stop };
  } catch (err) {
    await closeDatabases();
    throw err;
  }
}

async function assertBoundaries(modules: readonly AnyModule[], hosted: ReadonlySet<string>): Promise<void> {
  const located = modules.filter((m): m is AnyModule & { dir: string } => m.dir !== undefined);
  if (!located.some((m) => hosted.has(m.name))) return;
  // Every module folder is scanned for owners, so imports into remote modules are caught too.
  const all = await checkBoundaries(located.map((m) => ({ name: m.name, dir: m.dir, dependsOn: m.dependsOn })));
  const violations = all.filter((v) => hosted.has(v.module));
  if (violations.length > 0) {
    throw new Error(`module boundaries are broken:\n  ${violations.map((v) => v.message).join('\n  ')}`);
  }
}
