import type { Env, Hono, MiddlewareHandler } from 'hono';
import type { AdminFederation } from './admin-federation.ts';
import { parseBody, ReplayRequest } from './internal-admin-api.ts';

export const EVENTS_API_PATH = '/_cleave/api/events';

/**
 * The dashboard's events page: `GET /_cleave/api/events` (per module: outbox lag, per
 * subscription pending / retrying / done / dead, the dead letters) and
 * `POST /_cleave/api/events/replay` `{ module, eventIds }` (dead letters back to their handler).
 */
export function mountEventsApi<E extends Env>(app: Hono<E>, admin: AdminFederation, guard: MiddlewareHandler): void {
  app.get(EVENTS_API_PATH, guard, async (c) => c.json(await admin.events()));
  app.post(`${EVENTS_API_PATH}/replay`, guard, async (c) => {
    const { module, eventIds } = await parseBody(ReplayRequest, c.req.json(), 'replay request');
    return c.json({ replayed: await admin.replay(module, eventIds) });
  });
}
