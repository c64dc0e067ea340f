import type { Env, Hono, MiddlewareHandler } from 'hono';
import type { SpanStore } from '../telemetry/span-store.ts';
import { serviceMap } from './service-map.ts';

export const MAP_API_PATH = '/_cleave/api/map';

/** `GET /_cleave/api/map?window=<seconds>`: the service map from the gateway's span store (default: the last 5 minutes). */
export function mountMapApi<E extends Env>(app: Hono<E>, store: SpanStore, placement: Readonly<Record<string, string>>, gatewayService: string, guard: MiddlewareHandler): void {
  app.get(MAP_API_PATH, guard, (c) => {
    const seconds = Math.min(Math.max(Number(c.req.query('window') ?? 300) || 300, 1), 86_400);
    return c.json(serviceMap(store.all(), placement, gatewayService, Date.now(), seconds * 1000));
  });
}
