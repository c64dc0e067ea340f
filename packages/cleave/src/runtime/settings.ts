import { resolve } from 'node:path';
import type { DatabaseLocation } from '../data/module-database.ts';
import { configErrors } from '../errors/boot-errors.ts';
import { parseTrustProxy } from '../gateway/client-ip.ts';
import type { TrustProxy } from '../gateway/client-ip.ts';
import { jobRetentionFromEnv } from '../jobs/job-retention-settings.ts';
import type { JobRetention } from '../jobs/job-retention-settings.ts';

/** Everything a service reads from its environment, parsed once at start. */
export interface ServiceSettings {
  /** `production` when NODE_ENV=production: no API reference page, JSON logs even on a terminal. */
  readonly environment: 'development' | 'production';
  readonly port: number | undefined;
  readonly host: string;
  /** Root of embedded data (`.data`): the embedded PostgreSQL cluster (or PGlite directories) and generated keys. */
  readonly dataDir: string;
  /** The embedded database when no URL is set: a PostgreSQL server (default) or a PGlite directory per module. */
  readonly embedded: 'postgres' | 'pglite';
  readonly databaseUrl: string | undefined;
  /** `<MODULE>_DATABASE_URL` overrides, keyed by module name. */
  readonly moduleDatabaseUrls: Readonly<Record<string, string>>;
  /** Connections per module pool on PostgreSQL (`CLEAVE_DB_POOL_SIZE`, default 5). */
  readonly databasePoolSize: number | undefined;
  /** Queries with parameters as named statements (`CLEAVE_DB_PREPARED_STATEMENTS`, default on; `off` behind PgBouncer in transaction mode before 1.21). */
  readonly databasePreparedStatements: boolean;
  readonly tracing: boolean;
  /** `CLEAVE_TRUST_PROXY`: hops or proxy addresses whose `X-Forwarded-For` entries to believe. */
  readonly trustProxy: TrustProxy;
  readonly bodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** A private JWK (JSON) for signing user access tokens; generated into dataDir/keys when absent. */
  readonly userTokenKey: string | undefined;
  readonly logLevel: string;
  /** `pretty` (pino-pretty) or `json`; default pretty on a terminal in development, else JSON. */
  readonly logFormat: 'pretty' | 'json';
  /** A private JWK (JSON) for this service's service tokens; generated into dataDir/keys when absent. */
  readonly serviceKey: string | undefined;
  /** Event transport: `local`, `http`, `nats`, `rabbitmq` or `bullmq`; default nats with NATS_URL, else local (one service) or http. */
  readonly eventTransport: 'local' | 'http' | 'nats' | 'rabbitmq' | 'bullmq' | undefined;
  readonly natsUrl: string | undefined;
  /** RabbitMQ for `CLEAVE_EVENTS=rabbitmq`, e.g. amqp://guest:guest@127.0.0.1:5672. */
  readonly rabbitmqUrl: string | undefined;
  /** Prefix of the broker's stream and consumers; default the app name. Tests use a fresh one. */
  readonly eventsNamespace: string | undefined;
  /** Redis for rate-limit counters shared by gateway replicas (memory when absent), and for `CLEAVE_EVENTS=bullmq` and `CLEAVE_JOBS=bullmq`. */
  readonly redisUrl: string | undefined;
  /** Where jobs wait to run: `database` (each module's `jobs` table, polled; the default) or `bullmq` (handed from that table to BullMQ on Redis). */
  readonly jobsBackend: 'database' | 'bullmq';
  /** Prefix of the BullMQ job queues; default the app name. Tests use a fresh one. */
  readonly jobsNamespace: string | undefined;
  /** How long finished jobs are kept (`CLEAVE_JOBS_RETAIN_DONE`, `CLEAVE_JOBS_RETAIN_DEAD`; default 7 and 30 days). */
  readonly jobRetention: JobRetention;
  /** `CLEAVE_JOBS=bullmq`: a job still pending this long past its due time is handed to Redis again (Redis lost it). Default 60 s. */
  readonly jobsRedeliverAfterMs: number;
  /** The environment, for per-service addresses (`CLEAVE_SERVICE_<NAME>_URL`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceSettings {
  const moduleDatabaseUrls: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^([A-Z][A-Z0-9_]*)_DATABASE_URL$/.exec(key);
    if (match?.[1] && value) moduleDatabaseUrls[match[1].toLowerCase()] = value;
  }
  return {
    environment: env.NODE_ENV === 'production' ? 'production' : 'development',
    port: optionalInt(env, 'PORT'),
    host: env.HOST ?? '127.0.0.1',
    // A path chosen at run time: a bundler (Next.js's Turbopack) must not trace the whole project for it.
    dataDir: resolve(/* turbopackIgnore: true */ env.CLEAVE_DATA_DIR ?? '.data'),
    embedded: parseEmbedded(env.CLEAVE_EMBEDDED),
    databaseUrl: env.DATABASE_URL || undefined,
    moduleDatabaseUrls,
    databasePoolSize: optionalInt(env, 'CLEAVE_DB_POOL_SIZE'),
    databasePreparedStatements: parseOnOff(env, 'CLEAVE_DB_PREPARED_STATEMENTS', true),
    tracing: env.CLEAVE_TRACING !== 'off',
    trustProxy: parseTrustProxy(env.CLEAVE_TRUST_PROXY),
    bodyLimitBytes: optionalInt(env, 'CLEAVE_BODY_LIMIT_BYTES') ?? 100 * 1024,
    requestTimeoutMs: optionalInt(env, 'CLEAVE_REQUEST_TIMEOUT_MS') ?? 10_000,
    accessTokenTtlSeconds: optionalInt(env, 'CLEAVE_ACCESS_TOKEN_TTL_SECONDS') ?? 15 * 60,
    refreshTokenTtlSeconds: optionalInt(env, 'CLEAVE_REFRESH_TOKEN_TTL_SECONDS') ?? 30 * 24 * 3600,
    userTokenKey: env.CLEAVE_USER_TOKEN_KEY || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    logFormat: parseLogFormat(env),
    serviceKey: env.CLEAVE_SERVICE_KEY || undefined,
    redisUrl: env.REDIS_URL || undefined,
    eventTransport: parseTransport(env.CLEAVE_EVENTS),
    natsUrl: env.NATS_URL || undefined,
    rabbitmqUrl: env.RABBITMQ_URL || undefined,
    eventsNamespace: env.CLEAVE_EVENTS_NAMESPACE || undefined,
    jobsBackend: parseJobsBackend(env.CLEAVE_JOBS),
    jobsNamespace: env.CLEAVE_JOBS_NAMESPACE || undefined,
    jobRetention: jobRetentionFromEnv(env),
    jobsRedeliverAfterMs: optionalInt(env, 'CLEAVE_JOBS_REDELIVER_AFTER_MS') ?? 60_000,
    env: { ...env },
  };
}

/** Where a module's schema lives: its own URL, the shared URL, or the embedded database. */
export function databaseFor(settings: ServiceSettings, module: string): DatabaseLocation {
  const own = Object.hasOwn(settings.moduleDatabaseUrls, module) ? settings.moduleDatabaseUrls[module] : undefined;
  const url = own ?? settings.databaseUrl;
  const pool = {
    ...(settings.databasePoolSize ? { poolSize: settings.databasePoolSize } : {}),
    ...(settings.databasePreparedStatements ? {} : { preparedStatements: false }),
  };
  if (url) return { kind: 'postgres', url, ...pool };
  return settings.embedded === 'pglite' ? { kind: 'pglite', dataDir: settings.dataDir } : { kind: 'embedded', dataDir: settings.dataDir, ...pool };
}

function parseLogFormat(env: NodeJS.ProcessEnv): ServiceSettings['logFormat'] {
  const raw = env.CLEAVE_LOG_FORMAT;
  if (raw === 'pretty' || raw === 'json') return raw;
  if (raw !== undefined && raw !== '') throw configErrors.SETTING_INVALID(`CLEAVE_LOG_FORMAT must be pretty or json (got "${raw}")`);
  return env.NODE_ENV !== 'production' && process.stdout.isTTY ? 'pretty' : 'json';
}

function parseEmbedded(raw: string | undefined): ServiceSettings['embedded'] {
  if (raw === undefined || raw === '' || raw === 'postgres') return 'postgres';
  if (raw === 'pglite') return 'pglite';
  throw configErrors.SETTING_INVALID(`CLEAVE_EMBEDDED must be postgres or pglite (got "${raw}")`);
}

function parseTransport(raw: string | undefined): ServiceSettings['eventTransport'] {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'local' || raw === 'http' || raw === 'nats' || raw === 'rabbitmq' || raw === 'bullmq') return raw;
  throw configErrors.SETTING_INVALID(`CLEAVE_EVENTS must be local, http, nats, rabbitmq or bullmq (got "${raw}")`);
}

function parseJobsBackend(raw: string | undefined): ServiceSettings['jobsBackend'] {
  if (raw === undefined || raw === '' || raw === 'database') return 'database';
  if (raw === 'bullmq') return raw;
  throw configErrors.SETTING_INVALID(`CLEAVE_JOBS must be database or bullmq (got "${raw}")`);
}

function optionalInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw configErrors.SETTING_INVALID(`${name} must be a non-negative integer (got "${raw}")`);
  return value;
}

function parseOnOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw configErrors.SETTING_INVALID(`${name} must be on or off (got "${raw}")`);
}
