import type { Hono } from 'hono';
import { z } from 'zod';
import type { ServiceTokenVerifier } from '../auth/service-tokens.ts';
import { errors } from '../errors/framework-errors.ts';
import { validationFailed } from '../errors/validation.ts';
import { headers } from '../http/http-protocol.ts';
import type { SagaStatus } from '../saga/saga-tables.ts';
import type { ModuleAdmin } from './module-admin.ts';

/** On a service's internal listener: the dashboard's reads and replays of the modules it hosts, and of the jobs it runs. */
export const INTERNAL_ADMIN_PATH = '/_cleave/admin';

export const SAGA_STATUSES: readonly SagaStatus[] = ['running', 'compensating', 'completed', 'failed', 'stuck'];

export const ReplayRequest = z.object({
  module: z.string().min(1).max(200),
  eventIds: z.array(z.string().min(1).max(200)).min(1).max(1_000),
});

export const RetryJobRequest = z.object({
  module: z.string().min(1).max(200),
  id: z.string().min(1).max(200),
});

export const RunScheduleRequest = z.object({
  module: z.string().min(1).max(200),
  schedule: z.string().min(1).max(200),
});

/** A request body checked against its schema (400 with the issues otherwise). */
export async function parseBody<S extends z.ZodType>(schema: S, body: Promise<unknown>, what: string): Promise<z.output<S>> {
  const parsed = schema.safeParse(await body.catch(() => undefined));
  if (!parsed.success) throw validationFailed(parsed.error, `invalid ${what}`);
  return parsed.data;
}

/** A saga-state filter from a query string: absent, or one of the states (400 otherwise). */
export function sagaStatusFilter(raw: string | undefined): SagaStatus | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!SAGA_STATUSES.includes(raw as SagaStatus)) throw errors.VALIDATION_FAILED(`status must be one of ${SAGA_STATUSES.join(', ')}`);
  return raw as SagaStatus;
}

/**
 * The owning service's side of the split dashboard: a module's tables live in the service
 * hosting it, so the gateway asks that service. Only the gateway service may, with its
 * service token (401 without a valid one, 403 for any other service), as for spans.
 */
export function mountInternalAdmin(internal: Hono, admin: ModuleAdmin, verifier: ServiceTokenVerifier, gatewayService: string): void {
  internal.use(`${INTERNAL_ADMIN_PATH}/*`, async (c, next) => {
    const caller = await verifier.verify(/^Bearer (\S+)$/.exec(c.req.header(headers.authorization) ?? '')?.[1]);
    if (caller.service !== gatewayService) throw errors.FORBIDDEN(`only the gateway service reads the dashboard's data, not "${caller.service}"`);
    return next();
  });
  internal.get(`${INTERNAL_ADMIN_PATH}/events`, async (c) => c.json({ modules: await admin.events() }));
  internal.post(`${INTERNAL_ADMIN_PATH}/events/replay`, async (c) => {
    const { module, eventIds } = await parseBody(ReplayRequest, c.req.json(), 'replay request');
    return c.json({ replayed: await admin.replay(module, eventIds) });
  });
  internal.get(`${INTERNAL_ADMIN_PATH}/jobs`, async (c) => c.json({ modules: await admin.jobs() }));
  internal.post(`${INTERNAL_ADMIN_PATH}/jobs/retry`, async (c) => {
    const { module, id } = await parseBody(RetryJobRequest, c.req.json(), 'retry request');
    return c.json({ retried: await admin.retryJob(module, id) });
  });
  internal.post(`${INTERNAL_ADMIN_PATH}/jobs/run`, async (c) => {
    const { module, schedule } = await parseBody(RunScheduleRequest, c.req.json(), 'run request');
    return c.json({ run: (await admin.runSchedule(module, schedule)) ?? null });
  });
  internal.get(`${INTERNAL_ADMIN_PATH}/sagas`, async (c) => c.json({ sagas: await admin.sagas(sagaStatusFilter(c.req.query('status'))) }));
  internal.get(`${INTERNAL_ADMIN_PATH}/sagas/:id`, async (c) => {
    const saga = await admin.saga(c.req.param('id'));
    if (saga === undefined) throw errors.NOT_FOUND(`service has no saga ${c.req.param('id')}`);
    return c.json({ saga });
  });
}
