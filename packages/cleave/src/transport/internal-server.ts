import { Hono } from 'hono';
import { bodySizeLimit } from '../gateway/body-size-limit.ts';
import type { JWK } from 'jose';
import { z } from 'zod';
import { validationFailed } from '../errors/validation.ts';
import type { EventEnvelope } from '../events/event-envelope.ts';
import { EVENTS_PATH } from '../events/transports/http-transport.ts';
import type { ServiceTokenVerifier } from '../auth/service-tokens.ts';
import { errors } from '../errors/framework-errors.ts';
import { guardInput } from '../gateway/input-guard.ts';
import { asCleaveError, PROBLEM_CONTENT_TYPE, problemBody } from '../gateway/problem.ts';
import type { RequestContext } from '../module/request-context.ts';
import type { Logger } from '../telemetry/logger.ts';
import { newTraceContext, parseTraceparent } from '../telemetry/trace-context.ts';
import type { OperationHost } from './call-transport.ts';
import { CALL_PATH_PREFIX, headers, SERVICE_INFO_PATH, SERVICE_JWKS_PATH } from './http-protocol.ts';

export interface InternalServerOptions {
  readonly service: string;
  /** Modules hosted by this service. */
  readonly hosts: ReadonlyMap<string, OperationHost>;
  readonly verifier: ServiceTokenVerifier;
  /** Whether a calling service may call a module: it must declare a dependency on it. */
  readonly mayCall: (callerService: string, module: string) => boolean;
  readonly jwks: () => readonly JWK[];
  readonly isReady: () => Promise<boolean>;
  readonly maxDeadlineMs: number;
  readonly bodyLimitBytes: number;
  readonly logger: Logger;
  /** Events pushed by other services (HTTP event transport), when this service has subscribers. */
  readonly events?: {
    /** The service hosting a module: only the publisher's own service may push its events. */
    readonly hostOf: (module: string) => string | undefined;
    receive(events: readonly EventEnvelope[]): Promise<void>;
  };
}

const PushedEvents = z.object({
  events: z.array(z.object({
    id: z.string().min(1),
    publisher: z.string().min(1),
    name: z.string().min(1),
    aggregateKey: z.string(),
    seq: z.string().regex(/^\d+$/),
    payload: z.unknown(),
    traceparent: z.string().nullable(),
    createdAt: z.string(),
  })).max(10_000),
});

/**
 * The callee side of the HTTP transport, on the service's internal listener: verify
 * the service token (401), check the caller's declared dependency (403), then run the
 * operation through the same `ModuleRuntime.handle` an in-process call uses.
 */
export function createInternalServer(options: InternalServerOptions): Hono {
  const app = new Hono();
  const log = options.logger.child({ module: 'internal' });

  app.onError((err, c) => {
    const error = asCleaveError(err);
    if (error.status >= 500 && error.code !== errors.DEADLINE_EXCEEDED.code) log.error({ err, path: c.req.path }, 'internal call failed');
    const traceId = parseTraceparent(c.req.header(headers.traceparent))?.traceId ?? newTraceContext().traceId;
    return c.body(problemBody(error, traceId, c.req.path), error.status as 500, { 'content-type': PROBLEM_CONTENT_TYPE });
  });
  app.notFound(() => {
    throw errors.NOT_FOUND('no internal route matches');
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => ((await options.isReady()) ? c.json({ status: 'ready' }) : c.json({ status: 'not ready' }, 503)));
  app.get(SERVICE_JWKS_PATH, (c) => c.json({ keys: options.jwks() }));
  // Which modules live where (and a pid) is for services of the topology, not for anyone who reaches the port.
  app.get(SERVICE_INFO_PATH, async (c) => {
    await options.verifier.verify(bearer(c.req.header(headers.authorization)));
    return c.json({ service: options.service, pid: process.pid, modules: [...options.hosts.keys()] });
  });

  app.post(EVENTS_PATH, async (c) => {
    const caller = await options.verifier.verify(bearer(c.req.header(headers.authorization)));
    if (!options.events) throw errors.NOT_FOUND(`service "${options.service}" has no subscribers`);
    const parsed = PushedEvents.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw validationFailed(parsed.error, 'invalid event batch');
    const foreign = parsed.data.events.find((e) => options.events?.hostOf(e.publisher) !== caller.service);
    if (foreign) throw errors.FORBIDDEN(`service "${caller.service}" cannot push events of module "${foreign.publisher}"`);
    await options.events.receive(parsed.data.events as EventEnvelope[]);
    return c.json({ accepted: parsed.data.events.length });
  });

  app.post(`${CALL_PATH_PREFIX}:module/:operation`, bodySizeLimit(options.bodyLimitBytes, () => errors.PAYLOAD_TOO_LARGE(`the call body exceeds ${options.bodyLimitBytes} bytes`)), async (c) => {
    const caller = await options.verifier.verify(bearer(c.req.header(headers.authorization)));
    const module = c.req.param('module');
    if (!options.mayCall(caller.service, module)) {
      throw errors.FORBIDDEN(`service "${caller.service}" does not declare a dependency on module "${module}"`);
    }
    const host = options.hosts.get(module);
    if (host === undefined) throw errors.UNKNOWN_OPERATION(`service "${options.service}" does not host module "${module}"`);

    let input: unknown;
    try {
      input = JSON.parse((await c.req.text()) || '{}');
    } catch (err) {
      throw errors.MALFORMED_JSON(err instanceof Error ? err.message : undefined);
    }
    // The same refusal as at the edge: a service calling with what no database stores.
    guardInput(input, `invalid input for ${module}.${c.req.param('operation')}`);
    const budget = Number(c.req.header(headers.deadline));
    const ctx: RequestContext = {
      trace: parseTraceparent(c.req.header(headers.traceparent)) ?? newTraceContext(),
      user: caller.userId === undefined ? undefined : { id: caller.userId },
      caller: c.req.header(headers.caller) ?? caller.service,
      deadline: calleeDeadline(budget, options.maxDeadlineMs),
      idempotencyKey: decodeKey(c.req.header(headers.idempotencyKey)),
    };
    const output = await host.handle(c.req.param('operation'), input, ctx);
    return c.json(output as object);
  });
  return app;
}

/**
 * The callee's deadline from the caller's budget. A missing or absurd budget gets the
 * service's cap, so no call runs unbounded. It ends a little before the caller's (up to
 * 50 ms): a handler that gives up at its deadline (a payment provider that hangs) then
 * answers with its typed error before the caller's timer fires, and a slow answer caused
 * by one call's input is not mistaken for a service that hangs (issue 12).
 */
function calleeDeadline(budget: number, maxMs: number): number {
  const ms = Number.isFinite(budget) && budget > 0 ? Math.min(budget, maxMs) : maxMs;
  return Date.now() + ms - Math.min(50, ms / 10);
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer (\S+)$/.exec(header ?? '')?.[1];
}

function decodeKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw errors.VALIDATION_FAILED('the idempotency key header is not percent-encoded');
  }
}
