import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { IssuedRefreshToken, SessionStore } from '../auth/session-store.ts';
import type { UserTokens } from '../auth/user-tokens.ts';
import { validationFailed } from '../errors/validation.ts';
import type { Operation } from '../module/contract.ts';
import type { RequestContext } from '../module/request-context.ts';
import type { CallDispatcher } from '../transport/call-transport.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { readRequestInput } from './request-input.ts';

type UserOperation = Operation<z.ZodType, z.ZodType<{ id: string }>>;

/**
 * The operations of the module that owns identities. Passwords are checked (and
 * hashed) there, so a password hash never leaves that module; the gateway only turns
 * an identity into a session.
 */
export interface IdentityOperations {
  /** Creates an account; its output (with `id`) is returned as `user`. */
  readonly signup: UserOperation;
  /** Checks email and password; throws an UNAUTHENTICATED error on mismatch. */
  readonly login: UserOperation;
}

export const RefreshInput = z.object({ refreshToken: z.string().min(1).max(512) }).strict();
export const TokenPair = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('Lifetime of the access token in seconds'),
});

export interface AuthRoutesOptions {
  readonly identity: IdentityOperations;
  readonly tokens: UserTokens;
  readonly sessions: SessionStore;
  readonly router: CallDispatcher;
  readonly context: (c: Context<GatewayEnv>) => RequestContext;
}

/** `POST /api/v1/auth/{signup,login,refresh,logout}`: sessions with rotating refresh tokens. */
export function mountAuthRoutes(app: Hono<GatewayEnv>, options: AuthRoutesOptions): void {
  const { identity, tokens, sessions, router } = options;

  const tokenPair = async (session: IssuedRefreshToken) => {
    const accessToken = await tokens.issue({ sub: session.userId, sid: session.sessionId });
    return { accessToken, refreshToken: session.token, tokenType: 'Bearer' as const, expiresIn: tokens.ttlSeconds };
  };

  // Signup and login differ only in the identity operation and the status code.
  for (const [route, op, status] of [['signup', identity.signup, 201], ['login', identity.login, 200]] as const) {
    app.post(`/api/v1/auth/${route}`, async (c) => {
      const input = await readRequestInput(c, 'POST');
      const user = (await router.dispatch(op, input, options.context(c))) as { id: string };
      return c.json({ user, ...(await tokenPair(await sessions.start(user.id))) }, status);
    });
  }

  app.post('/api/v1/auth/refresh', async (c) => {
    const { refreshToken } = parseRefresh(await readRequestInput(c, 'POST'));
    return c.json(await tokenPair(await sessions.rotate(refreshToken)), 200);
  });

  app.post('/api/v1/auth/logout', async (c) => {
    const { refreshToken } = parseRefresh(await readRequestInput(c, 'POST'));
    await sessions.revoke(refreshToken);
    return c.body(null, 204);
  });
}

function parseRefresh(input: unknown): z.output<typeof RefreshInput> {
  const parsed = RefreshInput.safeParse(input);
  if (!parsed.success) throw validationFailed(parsed.error, 'invalid input');
  return parsed.data;
}
