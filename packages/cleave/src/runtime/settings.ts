import { resolve } from 'node:path';
import type { DatabaseLocation } from '../data/module-database.ts';
import { parseTrustProxy } from '../gateway/client-ip.ts';
import type { TrustProxy } from '../gateway/client-ip.ts';

/** Everything a service reads from its environment, parsed once at start. */
export interface ServiceSettings {
  readonly port: number | undefined;
  readonly host: string;
  /** Root of embedded data (`.data`): PGlite directories and generated keys. */
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  /** `<MODULE>_DATABASE_URL` overrides, keyed by module name. */
  readonly moduleDatabaseUrls: Readonly<Record<string, string>>;
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
  /** A private JWK (JSON) for this service's service tokens; generated into dataDir/keys when absent. */
  readonly serviceKey: string | undefined;
  /** Event transport: `local`, `http` or `nats`; default nats with NATS_URL, else local (one service) or http. */
  readonly eventTransport: 'local' | 'http' | 'nats' | undefined;
  readonly natsUrl: string | undefined;
  /** Prefix of the broker's stream and consumers; default the app name. Tests use a fresh one. */
  readonly eventsNamespace: string | undefined;
  /** Redis for rate-limit counters shared by gateway replicas; memory when absent. */
  readonly redisUrl: string | undefined;
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
    port: optionalInt(env, 'PORT'),
    host: env.HOST ?? '127.0.0.1',
    dataDir: resolve(env.CLEAVE_DATA_DIR ?? '.data'),
    databaseUrl: env.DATABASE_URL || undefined,
    moduleDatabaseUrls,
    tracing: env.CLEAVE_TRACING !== 'off',
    trustProxy: parseTrustProxy(env.CLEAVE_TRUST_PROXY),
    bodyLimitBytes: optionalInt(env, 'CLEAVE_BODY_LIMIT_BYTES') ?? 100 * 1024,
    requestTimeoutMs: optionalInt(env, 'CLEAVE_REQUEST_TIMEOUT_MS') ?? 10_000,
    accessTokenTtlSeconds: optionalInt(env, 'CLEAVE_ACCESS_TOKEN_TTL_SECONDS') ?? 15 * 60,
    refreshTokenTtlSeconds: optionalInt(env, 'CLEAVE_REFRESH_TOKEN_TTL_SECONDS') ?? 30 * 24 * 3600,
    userTokenKey: env.CLEAVE_USER_TOKEN_KEY || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    serviceKey: env.CLEAVE_SERVICE_KEY || undefined,
    redisUrl: env.REDIS_URL || undefined,
    eventTransport: parseTransport(env.CLEAVE_EVENTS),
    natsUrl: env.NATS_URL || undefined,
    eventsNamespace: env.CLEAVE_EVENTS_NAMESPACE || undefined,
    env: { ...env },
  };
}

/** Where a module's schema lives: its own URL, the shared URL, or embedded PGlite. */
export function databaseFor(settings: ServiceSettings, module: string): DatabaseLocation {
  const own = Object.hasOwn(settings.moduleDatabaseUrls, module) ? settings.moduleDatabaseUrls[module] : undefined;
  const url = own ?? settings.databaseUrl;
  return url ? { kind: 'postgres', url } : { kind: 'pglite', dataDir: settings.dataDir };
}

function parseTransport(raw: string | undefined): ServiceSettings['eventTransport'] {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'local' || raw === 'http' || raw === 'nats') return raw;
  throw new Error(`CLEAVE_EVENTS must be local, http or nats (got "${raw}")`);
}

function optionalInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer (got "${raw}")`);
  return value;
}
