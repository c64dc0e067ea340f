import type { Env, Hono, MiddlewareHandler } from 'hono';
import { errors } from '../errors/framework-errors.ts';
import type { AdminFederation } from './admin-federation.ts';
import { sagaStatusFilter } from './internal-admin-api.ts';

export const SAGAS_API_PATH = '/_cleave/api/sagas';

/**
 * The dashboard's sagas page: `GET /_cleave/api/sagas?status=` (the most recent of every
 * owner module) and `GET /_cleave/api/sagas/:id` (its steps, compensations included).
 */
export function mountSagasApi<E extends Env>(app: Hono<E>, admin: AdminFederation, guard: MiddlewareHandler): void {
  app.get(SAGAS_API_PATH, guard, async (c) => c.json(await admin.sagas(sagaStatusFilter(c.req.query('status')))));
  app.get(`${SAGAS_API_PATH}/:id`, guard, async (c) => {
    const saga = await admin.saga(c.req.param('id'));
    if (saga === undefined) throw errors.NOT_FOUND(`no saga ${c.req.param('id')} in any module`);
    return c.json({ saga });
  });
}
