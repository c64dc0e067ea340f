import type { Env, Hono, MiddlewareHandler } from 'hono';
import { errors } from '../errors/framework-errors.ts';
import type { SpanStore } from '../telemetry/span-store.ts';

export const TRACES_API_PATH = '/_cleave/api/traces';

/** A trace id as users paste it: 32 hex digits, or a saga id (its trace; see sagaTraceContext). */
export function normalizeTraceId(raw: string): string {
  return raw.trim().toLowerCase().replaceAll('-', '');
}

/**
 * The gateway's local span store over HTTP, for `cleave trace` and the dashboard:
 * `GET /_cleave/api/traces?limit=&order=recent|slowest` (summaries) and
 * `GET /_cleave/api/traces/:traceId` (every span of one trace, from every service).
 */
export function mountTraceApi<E extends Env>(app: Hono<E>, store: SpanStore, guard: MiddlewareHandler): void {
  app.get(TRACES_API_PATH, guard, (c) => {
    const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 50) || 50, 1), 1_000);
    const order = c.req.query('order') === 'slowest' ? 'slowest' : 'recent';
    return c.json({ traces: store.traces(limit, order) });
  });
  app.get(`${TRACES_API_PATH}/:traceId`, guard, (c) => {
    const traceId = normalizeTraceId(c.req.param('traceId'));
    const spans = store.trace(traceId);
    if (spans.length === 0) throw errors.NOT_FOUND(`no spans of trace ${traceId} in the gateway's store (it keeps the most recent ones)`);
    return c.json({ traceId, spans });
  });
}
