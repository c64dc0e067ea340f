import type { Env, Hono, MiddlewareHandler } from 'hono';
import { errors } from '../errors/framework-errors.ts';
import type { AdminFederation } from './admin-federation.ts';
import { parseBody, RetryJobRequest, RunScheduleRequest } from './internal-admin-api.ts';

export const JOBS_API_PATH = '/_cleave/api/jobs';

/**
 * The dashboard's jobs page: `GET /_cleave/api/jobs` (per module: counts per queue and
 * status, failing and recent jobs, the schedules with their last and next tick),
 * `POST /_cleave/api/jobs/retry` `{ module, id }` (a dead job back to its worker, as
 * `cleave jobs retry`) and `POST /_cleave/api/jobs/run` `{ module, schedule }` (the
 * schedule's job enqueued for now, as `cleave jobs run`). Both changes go through the
 * admin guard, as the events page's replay does.
 */
export function mountJobsApi<E extends Env>(app: Hono<E>, admin: AdminFederation, guard: MiddlewareHandler): void {
  app.get(JOBS_API_PATH, guard, async (c) => c.json(await admin.jobs()));
  app.post(`${JOBS_API_PATH}/retry`, guard, async (c) => {
    const { module, id } = await parseBody(RetryJobRequest, c.req.json(), 'retry request');
    if (!(await admin.retryJob(module, id))) throw errors.NOT_FOUND(`module "${module}" has no dead job ${id}`);
    return c.json({ retried: id });
  });
  app.post(`${JOBS_API_PATH}/run`, guard, async (c) => {
    const { module, schedule } = await parseBody(RunScheduleRequest, c.req.json(), 'run request');
    const run = await admin.runSchedule(module, schedule);
    if (run === undefined) throw errors.NOT_FOUND(`module "${module}" has no schedule "${schedule}"`);
    return c.json({ run });
  });
}
