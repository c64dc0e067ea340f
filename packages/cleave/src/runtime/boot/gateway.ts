import { join } from 'node:path';
import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { SESSIONS_SCHEMA, sessionMigrations, SessionStore } from '../../auth/session-store.ts';
import type { SessionsDb } from '../../auth/session-store.ts';
import { loadSigningKey } from '../../auth/signing-key.ts';
import { UserTokens } from '../../auth/user-tokens.ts';
import { createGateway } from '../../gateway/create-gateway.ts';
import type { GatewayEnv } from '../../gateway/gateway-env.ts';
import { defaultRateLimits } from '../../gateway/rate-limit.ts';
import type { CallRouter } from '../call-router.ts';
import { openDatabase } from './module-databases.ts';
import type { ServiceBoot } from './service-boot.ts';

/**
 * The public edge, when this service has the gateway role: its sessions database,
 * the user-token key, rate limiters (in Redis when `REDIS_URL` is set) and the routes.
 */
export async function wireGateway(boot: ServiceBoot, router: CallRouter): Promise<Hono<GatewayEnv> | undefined> {
  const { app, settings, logger, tracer, name } = boot;
  if (!boot.spec.roles?.includes('gateway')) return undefined;
  const sessionsDb = await openDatabase(boot, SESSIONS_SCHEMA, sessionMigrations);
  const key = await loadSigningKey({ name: 'user-tokens', dir: join(settings.dataDir, 'keys'), privateJwk: settings.userTokenKey });
  const tokens = new UserTokens(key, { issuer: `cleave:${app.name}`, audience: `${app.name}-api`, accessTokenTtlSeconds: settings.accessTokenTtlSeconds });
  const sessions = new SessionStore(sessionsDb.db as Kysely<SessionsDb>, {
    refreshTtlSeconds: settings.refreshTokenTtlSeconds,
    accessTtlSeconds: settings.accessTokenTtlSeconds,
  });
  await sessions.loadRecentRevocations();
  let limiterFactory = boot.options.limiterFactory;
  if (limiterFactory === undefined && settings.redisUrl) {
    // ioredis loads only when Redis is configured.
    const limiters = (await import('../../gateway/redis-limiter.ts')).redisLimiters(settings.redisUrl, app.name);
    boot.closers.add('redis rate limiters', limiters.close);
    if (!(await limiters.ready())) logger.warn('Redis is not reachable yet: rate limits count per replica until it is');
    limiterFactory = limiters.factory;
  }
  return createGateway({
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
    isReady: boot.readiness.check,
    info: { title: `${app.name} API`, version: app.version },
    apiReference: settings.environment === 'development',
  });
}
