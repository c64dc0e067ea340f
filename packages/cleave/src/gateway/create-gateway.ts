import { Hono } from 'hono';
import type { Context } from 'hono';
import type { JWK } from 'jose';
import { z } from 'zod';
import type { SessionStore } from '../auth/session-store.ts';
import type { UserTokens } from '../auth/user-tokens.ts';
import { errors } from '../errors/framework-errors.ts';
import { validationFailed } from '../errors/validation.ts';
import type { AnyContract, AnyOperation } from '../module/contract.ts';
import type { CallRouter } from '../runtime/call-router.ts';
import type { Logger } from '../telemetry/logger.ts';
import { newTraceContext, parseTraceparent } from '../telemetry/trace-context.ts';
import type { Tracer } from '../telemetry/tracer.ts';
import type { AggregateContext, AnyAggregate } from './aggregate.ts';
import { mountAuthRoutes, RefreshInput, TokenPair } from './auth-routes.ts';
import type { IdentityOperations } from './auth-routes.ts';
import { authenticate } from './authenticate.ts';
import { bodySizeLimit } from './body-size-limit.ts';
import { clientIp } from './client-ip.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { buildOpenApi } from './openapi.ts';
import { asCleaveError, PROBLEM_CONTENT_TYPE, problemBody } from './problem.ts';
import { API_PREFIX } from './public-route.ts';
import type { PublicRoute } from './public-route.ts';
import { rateLimit } from './rate-limit.ts';
import { serverSpanDone } from './server-span.ts';
import { traceLogFields } from '../telemetry/log-fields.ts';
import type { LimiterFactory, RateLimitPolicy } from './rate-limit.ts';
import { gatewayRequestContext } from './request-context.ts';
import { readRequestInput } from './request-input.ts';

export interface GatewayOptions {
  readonly service: string;
  readonly router: CallRouter;
  /** Contracts of every module in the topology; their exposed operations become routes. */
  readonly contracts: readonly AnyContract[];
  readonly aggregates: readonly AnyAggregate[];
  readonly identity: IdentityOperations;
  readonly tokens: UserTokens;
  readonly sessions: SessionStore;
  readonly jwks: () => readonly JWK[];
  readonly rateLimits: readonly RateLimitPolicy[];
  readonly limiterFactory?: LimiterFactory;
  readonly bodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  readonly trustProxy: boolean;
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly isReady: () => Promise<boolean>;
  readonly info: { readonly title: string; readonly version: string };
}

/**
 * The public edge (Hono, so every handler is web-standard `Request → Response`):
 * trace context and `X-Trace-ID`, body limit, rate limits, authentication, the
 * contract-derived `/api/v1` routes and aggregates, auth routes, health, JWKS and the
 * OpenAPI document. Every error leaves as `application/problem+json`.
 */
export function createGateway(options: GatewayOptions): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const log = options.logger.child({ module: 'gateway' });
  const context = (c: Context<GatewayEnv>) => gatewayRequestContext(c, options.requestTimeoutMs);

  app.onError((err, c) => {
    const error = asCleaveError(err);
    const traceId = c.get('trace')?.traceId ?? newTraceContext().traceId;
    if (error.status >= 500) log.error({ err, trace_id: traceId, path: c.req.path }, 'request failed');
    c.header('X-Trace-ID', traceId);
    return c.body(problemBody(error, traceId, c.req.path), error.status as 500, { 'content-type': PROBLEM_CONTENT_TYPE });
  });
  app.notFound(() => {
    throw errors.NOT_FOUND('no route matches this method and path');
  });

  app.use('*', async (c, next) => {
    // The admin surface (dashboard, trace API, metrics) is not traced: reading it would fill the store with reads.
    if (c.req.path.startsWith('/_cleave/') || c.req.path === '/metrics') return next();
    // No traceparent: a root span, so the configured sampler decides (a made-up parent would force "sampled").
    const span = options.tracer.startSpan(c.req.method, parseTraceparent(c.req.header('traceparent')), 'server', { 'http.request.method': c.req.method, 'url.path': c.req.path });
    c.set('trace', span.trace);
    c.set('clientIp', clientIp(c, options.trustProxy));
    c.header('X-Trace-ID', span.trace.traceId);
    const started = performance.now();
    try {
      await next();
    } finally {
      serverSpanDone(span, c);
      log.info({ ...traceLogFields(span.trace), method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => ((await options.isReady()) ? c.json({ status: 'ready' }) : c.json({ status: 'not ready' }, 503)));
  app.get('/.well-known/jwks.json', (c) => c.json({ keys: options.jwks() }));

  app.use(`${API_PREFIX}/*`, bodySizeLimit(options.bodyLimitBytes, () => errors.PAYLOAD_TOO_LARGE(`the body exceeds ${options.bodyLimitBytes} bytes`, { limitBytes: options.bodyLimitBytes })));
  app.use(`${API_PREFIX}/*`, rateLimit(options.rateLimits.filter((p) => p.key === 'ip'), options.limiterFactory));
  app.use(`${API_PREFIX}/*`, authenticate(options.tokens, options.sessions));
  app.use(`${API_PREFIX}/*`, rateLimit(options.rateLimits.filter((p) => p.key === 'user'), options.limiterFactory));

  const routes: PublicRoute[] = [...authRouteDocs(options.identity)];
  mountAuthRoutes(app, { ...options, context });

  for (const contract of options.contracts) {
    for (const op of Object.values(contract.$operations) as AnyOperation[]) {
      if (!op.http) continue;
      const http = op.http;
      routes.push({ operationId: op.id, tag: op.module, http, input: op.input, output: op.output, description: op.description });
      app.on(http.method, API_PREFIX + http.path, async (c) => {
        requireUser(c, http.auth);
        const input = await readRequestInput(c, http.method);
        const output = await options.router.dispatch(op, input, context(c));
        return respond(c, http.status ?? 200, output);
      });
    }
  }

  for (const aggregate of options.aggregates) {
    const http = aggregate.http;
    const allowed = new Set(aggregate.dependsOn.map((d) => d.$name as string));
    routes.push({ operationId: `gateway.${aggregate.name}`, tag: 'aggregates', http, input: aggregate.input, output: aggregate.output, description: aggregate.description });
    app.on(http.method, API_PREFIX + http.path, async (c) => {
      requireUser(c, http.auth);
      const parsed = aggregate.input.safeParse(await readRequestInput(c, http.method));
      if (!parsed.success) throw validationFailed(parsed.error, `invalid input for ${aggregate.name}`);
      const request = context(c);
      const ctx: AggregateContext = {
        ...request,
        log: log.child({ ...traceLogFields(request.trace), aggregate: aggregate.name }),
        call: (op, input, callOptions) => {
          if (!allowed.has(op.module)) {
            return Promise.reject(errors.UNDECLARED_DEPENDENCY(`aggregate "${aggregate.name}" called ${op.id} but does not declare "${op.module}"`));
          }
          return options.router.callFrom(request, 'gateway', op, input, callOptions) as never;
        },
        markPartial: (reason) => c.header('Cleave-Partial', reason),
      };
      const output = aggregate.output.safeParse(await aggregate.handler(parsed.data, ctx));
      if (!output.success) throw errors.OUTPUT_INVALID(validationFailed(output.error, `output of ${aggregate.name}`).detail);
      return respond(c, http.status ?? 200, output.data);
    });
  }

  const document = buildOpenApi(options.info, routes);
  app.get(`${API_PREFIX}/openapi.json`, (c) => c.json(document));
  return app;
}

function requireUser(c: Context<GatewayEnv>, auth: 'user' | 'public' | undefined): void {
  if ((auth ?? 'user') === 'user' && c.get('user') === undefined) {
    throw errors.UNAUTHENTICATED('this route needs "Authorization: Bearer <access token>"');
  }
}

function respond(c: Context<GatewayEnv>, status: number, output: unknown): Response {
  if (status === 204) return c.body(null, 204);
  return c.json(output as object, status as 200);
}

function authRouteDocs(identity: IdentityOperations): PublicRoute[] {
  const session = (user: z.ZodType) => z.object({ user, ...TokenPair.shape });
  const route = (name: string, input: z.ZodType, output: z.ZodType | undefined, status: number, summary: string): PublicRoute => ({
    operationId: `auth.${name}`,
    tag: 'auth',
    http: { method: 'POST', path: `/auth/${name}`, auth: 'public', status, summary },
    input,
    output,
  });
  return [
    route('signup', identity.signup.input, session(identity.signup.output), 201, 'Create an account and start a session'),
    route('login', identity.login.input, session(identity.login.output), 200, 'Start a session with email and password'),
    route('refresh', RefreshInput, TokenPair, 200, 'Trade a refresh token for new tokens (the old one is spent)'),
    route('logout', RefreshInput, undefined, 204, 'End the session of a refresh token'),
  ];
}
