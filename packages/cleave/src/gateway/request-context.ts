import type { Context } from 'hono';
import type { RequestContext } from '../module/request-context.ts';
import type { GatewayEnv } from './gateway-env.ts';

/** The request context of a public request: caller `gateway`, the route's deadline. */
export function gatewayRequestContext(c: Context<GatewayEnv>, timeoutMs: number): RequestContext {
  return {
    trace: c.get('trace'),
    user: c.get('user'),
    caller: 'gateway',
    deadline: Date.now() + timeoutMs,
    idempotencyKey: c.req.header('idempotency-key'),
  };
}
