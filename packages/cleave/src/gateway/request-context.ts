import type { Context } from 'hono';
import type { RequestContext } from '../module/request-context.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { IDEMPOTENCY_HEADER, idempotencyKeyOf } from './idempotency.ts';

/** The request context of a public request: caller `gateway`, the route's deadline. */
export function gatewayRequestContext(c: Context<GatewayEnv>, timeoutMs: number): RequestContext {
  return {
    trace: c.get('trace'),
    user: c.get('user'),
    caller: 'gateway',
    deadline: Date.now() + timeoutMs,
    idempotencyKey: idempotencyKeyOf(c.req.header(IDEMPOTENCY_HEADER)),
  };
}
