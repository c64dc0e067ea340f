import type { MiddlewareHandler } from 'hono';
import type { SessionStore } from '../auth/session-store.ts';
import type { UserTokens } from '../auth/user-tokens.ts';
import { errors } from '../errors/framework-errors.ts';
import type { GatewayEnv } from './gateway-env.ts';

/**
 * Establishes the end user from `Authorization: Bearer <access token>`. A request with
 * no token continues anonymous (routes that need a user refuse it); a request with a
 * bad, expired or revoked token is refused here, so a client learns its token is wrong.
 */
export function authenticate(tokens: UserTokens, sessions: SessionStore): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined) {
      c.set('user', undefined);
      return next();
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw errors.UNAUTHENTICATED('use "Authorization: Bearer <access token>"');
    const claims = await tokens.verifyCached(match[1]);
    if (sessions.isRevoked(claims.sid)) throw errors.UNAUTHENTICATED('the session of this access token has ended');
    c.set('user', { id: claims.sub });
    return next();
  };
}
