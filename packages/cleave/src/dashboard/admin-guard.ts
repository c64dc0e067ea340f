import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errors } from '../errors/framework-errors.ts';

export interface AdminAccess {
  /** Development (the default) leaves the admin surface open, as `npm start` on a laptop should. */
  readonly production: boolean;
  readonly token: string | undefined;
}

/** `CLEAVE_ENV` or else `NODE_ENV` = `production` protects it; the credential is `CLEAVE_ADMIN_TOKEN`. */
export function adminAccessFromEnv(env: Readonly<Record<string, string | undefined>>): AdminAccess {
  const mode = env.CLEAVE_ENV || env.NODE_ENV || 'development';
  return { production: mode === 'production', token: env.CLEAVE_ADMIN_TOKEN || undefined };
}

/**
 * Guards the admin surface (traces, metrics, dashboard): open in development; in
 * production only with `Authorization: Bearer <CLEAVE_ADMIN_TOKEN>`, and closed (403)
 * when no token is configured — an admin page nobody set a password for stays shut.
 */
export function adminGuard(access: AdminAccess): MiddlewareHandler {
  const expected = access.token === undefined ? undefined : Buffer.from(access.token);
  return async (c, next) => {
    if (!access.production) return next();
    if (expected === undefined) throw errors.FORBIDDEN('the admin endpoints are off in production until CLEAVE_ADMIN_TOKEN is set');
    const given = Buffer.from(/^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw errors.UNAUTHENTICATED('an admin token is required (Authorization: Bearer <CLEAVE_ADMIN_TOKEN>)');
    return next();
  };
}
