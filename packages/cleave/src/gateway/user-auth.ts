import type { MiddlewareHandler } from 'hono';
import type { JWK } from 'jose';
import type { SessionStore } from '../auth/session-store.ts';
import type { UserTokens } from '../auth/user-tokens.ts';
import type { AuthenticatedUser } from '../module/request-context.ts';
import type { IdentityOperations } from './auth-routes.ts';
import { authenticate } from './authenticate.ts';
import type { GatewayEnv } from './gateway-env.ts';

/**
 * Establishes the end user of a request your own way (an API key, a JWT from another
 * issuer, a session cookie). `undefined` = anonymous (routes with `auth: 'user'` refuse
 * it); throw `errors.UNAUTHENTICATED(...)` to refuse a bad credential outright.
 */
export type Authenticate = (request: Request) => AuthenticatedUser | undefined | Promise<AuthenticatedUser | undefined>;

/** Cleave's own sessions: the identity module's operations, access tokens and refresh tokens. */
export interface SessionAuth {
  readonly identity: IdentityOperations;
  readonly tokens: UserTokens;
  readonly sessions: SessionStore;
  readonly jwks: () => readonly JWK[];
}

/** The middleware that sets `user`: from Cleave's access tokens, from the app's function, or nobody. */
export function userAuthentication(session: SessionAuth | undefined, custom: Authenticate | undefined): MiddlewareHandler<GatewayEnv> {
  if (session) return authenticate(session.tokens, session.sessions);
  if (custom) {
    return async (c, next) => {
      const user = await custom(c.req.raw);
      c.set('user', user === undefined ? undefined : { id: user.id });
      return next();
    };
  }
  return async (c, next) => {
    c.set('user', undefined);
    return next();
  };
}
