import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseFor, settingsFromEnv } from './settings.ts';

describe('settingsFromEnv', () => {
  it('uses defaults for an empty environment', () => {
    const s = settingsFromEnv({});
    expect(s).toMatchObject({
      port: undefined,
      host: '127.0.0.1',
      dataDir: resolve('.data'),
      databaseUrl: undefined,
      moduleDatabaseUrls: {},
      tracing: true,
      trustProxy: false,
      bodyLimitBytes: 100 * 1024,
      requestTimeoutMs: 10_000,
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 30 * 24 * 3600,
      userTokenKey: undefined,
    });
  });

  it('parses PORT, CLEAVE_DATA_DIR, DATABASE_URL and <MODULE>_DATABASE_URL', () => {
    const s = settingsFromEnv({
      PORT: '8080',
      CLEAVE_DATA_DIR: '/tmp/cleave-data',
      DATABASE_URL: 'postgres://shared/db',
      USERS_DATABASE_URL: 'postgres://users/db',
      CLEAVE_SESSIONS_DATABASE_URL: 'postgres://sessions/db',
    });
    expect(s.port).toBe(8080);
    expect(s.dataDir).toBe('/tmp/cleave-data');
    expect(s.databaseUrl).toBe('postgres://shared/db');
    expect(s.moduleDatabaseUrls).toEqual({ users: 'postgres://users/db', cleave_sessions: 'postgres://sessions/db' });
  });

  it('takes CLEAVE_EVENTS=rabbitmq with RABBITMQ_URL, and names the transports it knows when the value is wrong', () => {
    const s = settingsFromEnv({ CLEAVE_EVENTS: 'rabbitmq', RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672' });
    expect(s.eventTransport).toBe('rabbitmq');
    expect(s.rabbitmqUrl).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(settingsFromEnv({}).rabbitmqUrl).toBeUndefined();
    expect(settingsFromEnv({ CLEAVE_EVENTS: 'bullmq', REDIS_URL: 'redis://127.0.0.1:6379' })).toMatchObject({ eventTransport: 'bullmq', redisUrl: 'redis://127.0.0.1:6379' });
    expect(() => settingsFromEnv({ CLEAVE_EVENTS: 'kafka' })).toThrow('CLEAVE_EVENTS must be local, http, nats, rabbitmq or bullmq (got "kafka")');
  });

  it('resolves a relative CLEAVE_DATA_DIR against the working directory', () => {
    expect(settingsFromEnv({ CLEAVE_DATA_DIR: 'var/data' }).dataDir).toBe(resolve(process.cwd(), 'var/data'));
  });

  it('ignores empty URLs', () => {
    const s = settingsFromEnv({ DATABASE_URL: '', USERS_DATABASE_URL: '' });
    expect(s.databaseUrl).toBeUndefined();
    expect(s.moduleDatabaseUrls).toEqual({});
  });

  it.each(['abc', '-1', '1.5'])('refuses PORT=%s with an error naming the variable', (value) => {
    expect(() => settingsFromEnv({ PORT: value })).toThrow(`PORT must be a non-negative integer (got "${value}")`);
  });

  it('refuses a malformed integer in other numeric settings too', () => {
    expect(() => settingsFromEnv({ CLEAVE_REQUEST_TIMEOUT_MS: '10s' })).toThrow(/CLEAVE_REQUEST_TIMEOUT_MS must be a non-negative integer/);
  });

  it('reads tracing, proxy trust and the token key', () => {
    const s = settingsFromEnv({ CLEAVE_TRACING: 'off', CLEAVE_TRUST_PROXY: 'true', CLEAVE_USER_TOKEN_KEY: '{"kty":"OKP"}', LOG_LEVEL: 'warn' });
    expect(s).toMatchObject({ tracing: false, trustProxy: { hops: 1 }, userTokenKey: '{"kty":"OKP"}', logLevel: 'warn' });
    expect(settingsFromEnv({ CLEAVE_TRUST_PROXY: '1' }).trustProxy).toEqual({ hops: 1 });
    expect(settingsFromEnv({ CLEAVE_TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).toEqual({ addresses: ['10.0.0.0/8', 'loopback'] });
  });
});

describe('databaseFor', () => {
  it("prefers the module's own URL", () => {
    const s = settingsFromEnv({ DATABASE_URL: 'postgres://shared/db', USERS_DATABASE_URL: 'postgres://users/db' });
    expect(databaseFor(s, 'users')).toEqual({ kind: 'postgres', url: 'postgres://users/db' });
  });

  it('falls back to DATABASE_URL', () => {
    const s = settingsFromEnv({ DATABASE_URL: 'postgres://shared/db', USERS_DATABASE_URL: 'postgres://users/db' });
    expect(databaseFor(s, 'posts')).toEqual({ kind: 'postgres', url: 'postgres://shared/db' });
  });

  it('sizes the module pools from CLEAVE_DB_POOL_SIZE', () => {
    const s = settingsFromEnv({ DATABASE_URL: 'postgres://shared/db', CLEAVE_DB_POOL_SIZE: '12' });
    expect(databaseFor(s, 'posts')).toEqual({ kind: 'postgres', url: 'postgres://shared/db', poolSize: 12 });
  });

  it('turns named statements off with CLEAVE_DB_PREPARED_STATEMENTS=off, and refuses other values', () => {
    expect(settingsFromEnv({}).databasePreparedStatements).toBe(true);
    const s = settingsFromEnv({ DATABASE_URL: 'postgres://shared/db', CLEAVE_DB_PREPARED_STATEMENTS: 'off' });
    expect(databaseFor(s, 'posts')).toEqual({ kind: 'postgres', url: 'postgres://shared/db', preparedStatements: false });
    expect(() => settingsFromEnv({ CLEAVE_DB_PREPARED_STATEMENTS: 'yes' })).toThrow('CLEAVE_DB_PREPARED_STATEMENTS must be on or off (got "yes")');
  });

  it('uses the embedded PostgreSQL server under dataDir when no URL is set', () => {
    const s = settingsFromEnv({ CLEAVE_DATA_DIR: '/tmp/cleave-data', USERS_DATABASE_URL: 'postgres://users/db' });
    expect(databaseFor(s, 'posts')).toEqual({ kind: 'embedded', dataDir: '/tmp/cleave-data' });
  });

  it('uses a PGlite directory per module with CLEAVE_EMBEDDED=pglite, and refuses other values', () => {
    const s = settingsFromEnv({ CLEAVE_DATA_DIR: '/tmp/cleave-data', CLEAVE_EMBEDDED: 'pglite' });
    expect(databaseFor(s, 'posts')).toEqual({ kind: 'pglite', dataDir: '/tmp/cleave-data' });
    expect(() => settingsFromEnv({ CLEAVE_EMBEDDED: 'sqlite' })).toThrow(/CLEAVE_EMBEDDED must be postgres or pglite/);
  });

  // Regression: an inherited Object.prototype member must not pass for a URL.
  it('uses the embedded database for a module named like an Object.prototype member', () => {
    const s = settingsFromEnv({});
    expect(databaseFor(s, 'constructor')).toEqual({ kind: 'embedded', dataDir: s.dataDir });
  });
});
