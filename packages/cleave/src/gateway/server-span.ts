import type { Context } from 'hono';
import { routePath } from 'hono/route';
import type { ActiveSpan } from '../telemetry/tracer.ts';

/**
 * Ends the gateway's HTTP server span the way the OpenTelemetry HTTP semantic conventions
 * ask: named `{method} {http.route}` with the route template (`/api/v1/posts/:id`, never
 * the raw path: one name per route keeps span names low-cardinality), the response status,
 * and an error status for 5xx only (a 4xx is the client's mistake, not a failed span).
 */
export function serverSpanDone(span: ActiveSpan, c: Context): void {
  const route = routePath(c, -1);
  // A wildcard is a middleware's pattern: no route matched (404), keep the name "METHOD".
  if (route && !route.includes('*')) {
    span.updateName(`${c.req.method} ${route}`);
    span.setAttribute('http.route', route);
  }
  span.setAttribute('http.response.status_code', c.res.status);
  span.end(c.res.status >= 500 ? new Error(`HTTP ${c.res.status}`) : undefined);
}
