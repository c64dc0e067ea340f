import type { Hono } from 'hono';
import { createGateway } from '../../gateway/create-gateway.ts';
import type { GatewayEnv } from '../../gateway/gateway-env.ts';
import { defaultRateLimits } from '../../gateway/rate-limit.ts';
import type { CallRouter } from '../call-router.ts';
import { openDatabase } from './module-databases.ts';
import type { ServiceBoot } from './service-boot.ts';
import { openSessionAuth } from './session-auth.ts';

/**
 * The public edge, when this service has the gateway role: its sessions database,
 * the user-token key, rate limiters (in Redis when `REDIS_URL` is set) and the routes.
 */
export async function wireGateway(boot: ServiceBoot, router: CallRouter): Promise<Hono<GatewayEnv> | undefined> {
  const { app, settings, logger, tracer, name } = boot;
  if (!boot.spec.roles?.includes('gateway')) return undefined;
  // Cleave's sessions only when the app gives gateway.identity (none: public routes or its own authenticate).
  const sessionAuth = await openSessionAuth(app, settings, (schema, migrations) => openDatabase(boot, schema, migrations));
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
    ...(sessionAuth ? { sessionAuth, idempotency: sessionAuth.idempotency } : {}),
    ...(app.gateway.authenticate ? { authenticate: app.gateway.authenticate } : {}),
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
