import { Hono } from 'hono';
import { bodySizeLimit } from '../http/body-size-limit.ts';
import type { JWK } from 'jose';
import { z } from 'zod';
import { validationFailed } from '../errors/validation.ts';
import { EventEnvelopeSchema } from '../events/event-envelope.ts';
import type { EventEnvelope } from '../events/event-envelope.ts';
import type { ServiceTokenVerifier } from '../auth/service-tokens.ts';
import { errors } from '../errors/framework-errors.ts';
import { guardInput } from '../gateway/input-guard.ts';
import { asCleaveError, PROBLEM_CONTENT_TYPE, problemBody } from '../errors/problem.ts';
import type { RequestContext } from '../module/request-context.ts';
import type { Logger } from '../telemetry/logger.ts';
import { newTraceContext, parseTraceparent } from '../telemetry/trace-context.ts';
import type { OperationHost } from './call-transport.ts';
import { CALL_PATH_PREFIX, EVENTS_PATH, headers, SERVICE_INFO_PATH, SERVICE_JWKS_PATH } from '../http/http-protocol.ts';
import { fromWire, INTERNAL_RAW_BODY_LIMIT_BYTES, RAW_FIELDS_HEADER, toWire } from './raw-wire.ts';

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
  events: z.array(EventEnvelopeSchema).max(10_000),
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

  const jsonLimit = bodySizeLimit(options.bodyLimitBytes, () => errors.PAYLOAD_TOO_LARGE(`the call body exceeds ${options.bodyLimitBytes} bytes`));
  const rawLimit = bodySizeLimit(INTERNAL_RAW_BODY_LIMIT_BYTES, () => errors.PAYLOAD_TOO_LARGE(`the raw call body exceeds ${INTERNAL_RAW_BODY_LIMIT_BYTES} bytes`));
  app.post(`${CALL_PATH_PREFIX}:module/:operation`, (c, next) => (c.req.header(RAW_FIELDS_HEADER) === undefined ? jsonLimit : rawLimit)(c, next), async (c) => {
    const caller = await options.verifier.verify(bearer(c.req.header(headers.authorization)));
    const module = c.req.param('module');
    if (!options.mayCall(caller.service, module)) {
      throw errors.FORBIDDEN(`service "${caller.service}" does not declare a dependency on module "${module}"`);
    }
    const host = options.hosts.get(module);
    if (host === undefined) throw errors.UNKNOWN_OPERATION(`service "${options.service}" does not host module "${module}"`);

    const input = await readCallInput(c.req.raw.headers.get(RAW_FIELDS_HEADER), c.req.raw);
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
    const output = toWire(await host.handle(c.req.param('operation'), input, ctx));
    return c.body(output.body as string, 200, output.headers);
  });
  return app;
}

async function readCallInput(rawFields: string | null, request: Request): Promise<unknown> {
  if (rawFields !== null) return fromWire(rawFields, new Uint8Array(await request.arrayBuffer()));
  try {
    return JSON.parse((await request.text()) || '{}');
  } catch (err) {
    throw errors.MALFORMED_JSON(err instanceof Error ? err.message : undefined);
  }
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
