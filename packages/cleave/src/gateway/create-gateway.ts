import { Hono } from 'hono';
import type { Context } from 'hono';
import { z } from 'zod';
import { errors } from '../errors/framework-errors.ts';
import { validationFailed } from '../errors/validation.ts';
import type { AnyContract, AnyOperation } from '../module/contract.ts';
import type { CallDispatcher } from '../transport/call-transport.ts';
import type { Logger } from '../telemetry/logger.ts';
import { newTraceContext, parseTraceparent } from '../telemetry/trace-context.ts';
import type { Tracer } from '../telemetry/tracer.ts';
import type { AggregateContext, AnyAggregate } from './aggregate.ts';
import { mountAuthRoutes, RefreshInput, TokenPair } from './auth-routes.ts';
import { mountApiReference } from './api-reference.ts';
import { clientIp, trustCheck } from './client-ip.ts';
import type { TrustProxy } from './client-ip.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { idempotency } from './idempotency.ts';
import type { IdempotencyStore } from './idempotency-store.ts';
import { buildOpenApi } from './openapi.ts';
import { asCleaveError, PROBLEM_CONTENT_TYPE, problemBody } from '../errors/problem.ts';
import { API_PREFIX } from './public-route.ts';
import type { PublicRoute, RouteError } from './public-route.ts';
import { limitBodies, readRawInput, respondRaw } from './raw-body.ts';
import { isRawMessage } from '../module/raw-body.ts';
import { publicError, RETRY_AFTER_SECONDS } from './public-error.ts';
import { rateLimit } from './rate-limit.ts';
import { serverSpanDone } from './server-span.ts';
import { traceLogFields } from '../telemetry/log-fields.ts';
import type { LimiterFactory, RateLimitPolicy } from './rate-limit.ts';
import { gatewayRequestContext } from './request-context.ts';
import { readRequestInput } from './request-input.ts';
import { userAuthentication } from './user-auth.ts';
import type { Authenticate, SessionAuth } from './user-auth.ts';
import { RouteMethods } from './route-methods.ts';

export interface GatewayOptions {
  readonly service: string;
  readonly router: CallDispatcher;
  /** Contracts of every module in the topology; their exposed operations become routes. */
  readonly contracts: readonly AnyContract[];
  readonly aggregates: readonly AnyAggregate[];
  /** Cleave's sessions (auth routes, access tokens, JWKS); absent: no auth routes. */
  readonly sessionAuth?: SessionAuth | undefined;
  /** The app's own way to establish the user, when it has no `sessionAuth`. */
  readonly authenticate?: Authenticate | undefined;
  readonly rateLimits: readonly RateLimitPolicy[];
  readonly limiterFactory?: LimiterFactory;
  readonly bodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  readonly trustProxy: TrustProxy;
  /** `Idempotency-Key` on unsafe routes of signed-in users; without it the header only reaches modules. */
  readonly idempotency?: IdempotencyStore;
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly isReady: () => Promise<boolean>;
  readonly info: { readonly title: string; readonly version: string };
  /** Serve the interactive API reference at /api/docs (development). */
  readonly apiReference?: boolean;
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
  const trust = trustCheck(options.trustProxy);
  const context = (c: Context<GatewayEnv>) => gatewayRequestContext(c, options.requestTimeoutMs);

  app.onError((err, c) => {
    const traceId = c.get('trace')?.traceId ?? newTraceContext().traceId;
    const error = publicError(asCleaveError(err));
    if (error.status >= 500) log.error({ err, trace_id: traceId, path: c.req.path }, 'request failed');
    c.header('X-Trace-ID', traceId);
    if (error.status === 503) c.header('Retry-After', RETRY_AFTER_SECONDS);
    if (error.status === 405) c.header('Allow', (error.details?.allow as string[]).join(', '));
    return c.body(problemBody(error, traceId, c.req.path), error.status as 500, { 'content-type': PROBLEM_CONTENT_TYPE });
  });
  const methods = new RouteMethods();
  app.notFound((c) => {
    const allow = methods.allowed(c.req.path);
    if (allow.length) throw errors.METHOD_NOT_ALLOWED(`${c.req.method} is not allowed here`, { allow });
    throw errors.NOT_FOUND('no route matches this method and path');
  });

  app.use('*', async (c, next) => {
    // The admin surface (dashboard, trace API, metrics) is not traced: reading it would fill the store with reads.
    if (c.req.path.startsWith('/_cleave/') || c.req.path === '/metrics') return next();
    // No traceparent: a root span, so the configured sampler decides (a made-up parent would force "sampled").
    const span = options.tracer.startSpan(c.req.method, parseTraceparent(c.req.header('traceparent')), 'server', { 'http.request.method': c.req.method, 'url.path': c.req.path });
    c.set('trace', span.trace);
    c.set('clientIp', clientIp(c, trust));
    c.header('X-Trace-ID', span.trace.traceId);
    const started = performance.now();
    try {
      await next();
    } finally {
      serverSpanDone(span, c);
      // Checked first: at LOG_LEVEL=warn the line's object would be built for nothing on every request.
      if (log.isLevelEnabled('info')) log.info({ ...traceLogFields(span.trace), method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => ((await options.isReady()) ? c.json({ status: 'ready' }) : c.json({ status: 'not ready' }, 503)));
  const sessionAuth = options.sessionAuth;
  if (sessionAuth) app.get('/.well-known/jwks.json', (c) => c.json({ keys: sessionAuth.jwks() }));

  app.use(`${API_PREFIX}/*`, limitBodies(options.bodyLimitBytes, options.contracts));
  app.use(`${API_PREFIX}/*`, rateLimit(options.rateLimits.filter((p) => p.key === 'ip'), options.limiterFactory));
  app.use(`${API_PREFIX}/*`, userAuthentication(sessionAuth, options.authenticate));
  app.use(`${API_PREFIX}/*`, rateLimit(options.rateLimits.filter((p) => p.key === 'user'), options.limiterFactory));
  if (options.idempotency) app.use(`${API_PREFIX}/*`, idempotency(options.idempotency, options.requestTimeoutMs + 5_000));

  const identityContract = sessionAuth && options.contracts.find((c) => c.$name === sessionAuth.identity.signup.module);
  const routes: PublicRoute[] = sessionAuth ? authRouteDocs(sessionAuth.identity, identityContract ? routeErrors(identityContract) : []) : [];
  if (sessionAuth) mountAuthRoutes(app, { ...sessionAuth, router: options.router, context });

  for (const contract of options.contracts) {
    for (const op of Object.values(contract.$operations) as AnyOperation[]) {
      if (!op.http) continue;
      const http = op.http;
      routes.push({ operationId: op.id, tag: op.module, http, input: op.input, output: op.output, description: op.description, errors: routeErrors(contract) });
      methods.add(http.method, API_PREFIX + http.path);
      app.on(http.method, API_PREFIX + http.path, async (c) => {
        requireUser(c, http.auth);
        const input = http.body === 'raw' ? await readRawInput(c, http) : await readRequestInput(c, http.method);
        // Refused here what the callee's contract would refuse, before anything is sent:
        // in process the callee checks it anyway, so only a remote callee costs a parse.
        if (options.router.transportFor(op.module)?.kind !== 'in-process') {
          const parsed = op.input.safeParse(input);
          if (!parsed.success) throw validationFailed(parsed.error, `invalid input for ${op.id}`);
        }
        const output = await options.router.dispatch(op, input, context(c));
        return respond(c, http.status ?? 200, output);
      });
    }
  }

  for (const aggregate of options.aggregates) {
    const http = aggregate.http;
    const allowed = new Set(aggregate.dependsOn.map((d) => d.$name as string));
    routes.push({ operationId: `gateway.${aggregate.name}`, tag: 'aggregates', http, input: aggregate.input, output: aggregate.output, description: aggregate.description });
    methods.add(http.method, API_PREFIX + http.path);
    app.on(http.method, API_PREFIX + http.path, async (c) => {
      requireUser(c, http.auth);
      const parsed = aggregate.input.safeParse(await readRequestInput(c, http.method));
      if (!parsed.success) throw validationFailed(parsed.error, `invalid input for ${aggregate.name}`);
      const request = context(c);
      let childLog: Logger | undefined;
      const ctx: AggregateContext = {
        ...request,
        // A child logger costs more than the rest of this context: made only when the handler logs.
        get log() {
          childLog ??= log.child({ ...traceLogFields(request.trace), aggregate: aggregate.name });
          return childLog;
        },
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

  for (const route of routes.filter((r) => r.tag === 'auth')) methods.add(route.http.method, API_PREFIX + route.http.path);
  const document = buildOpenApi(options.info, routes);
  app.get(`${API_PREFIX}/openapi.json`, (c) => c.json(document));
  if (options.apiReference) mountApiReference(app, { openApiPath: `${API_PREFIX}/openapi.json`, title: options.info.title });
  return app;
}

function routeErrors(contract: AnyContract): RouteError[] {
  return Object.values(contract.$errors).map(({ code, status, title }) => ({ code, status, title }));
}

function requireUser(c: Context<GatewayEnv>, auth: 'user' | 'public' | undefined): void {
  if ((auth ?? 'user') === 'user' && c.get('user') === undefined) {
    throw errors.UNAUTHENTICATED('this route needs "Authorization: Bearer <access token>"');
  }
}

function respond(c: Context<GatewayEnv>, status: number, output: unknown): Response {
  if (status === 204) return c.body(null, 204);
  if (isRawMessage(output)) return respondRaw(c, status, output);
  return c.json(output as object, status as 200);
}

function authRouteDocs(identity: SessionAuth['identity'], identityErrors: readonly RouteError[]): PublicRoute[] {
  const session = (user: z.ZodType) => z.object({ user, ...TokenPair.shape });
  const unauthenticated: RouteError = { code: errors.UNAUTHENTICATED.code, status: 401, title: 'Wrong credentials, or a spent or unknown refresh token' };
  const route = (name: string, input: z.ZodType, output: z.ZodType | undefined, status: number, summary: string, routeErrors: readonly RouteError[]): PublicRoute => ({
    operationId: `auth.${name}`,
    tag: 'auth',
    http: { method: 'POST', path: `/auth/${name}`, auth: 'public', status, summary },
    input,
    output,
    errors: routeErrors,
  });
  return [
    route('signup', identity.signup.input, session(identity.signup.output), 201, 'Create an account and start a session', identityErrors),
    route('login', identity.login.input, session(identity.login.output), 200, 'Start a session with email and password', [unauthenticated, ...identityErrors]),
    route('refresh', RefreshInput, TokenPair, 200, 'Trade a refresh token for new tokens (the old one is spent)', [unauthenticated]),
    route('logout', RefreshInput, undefined, 204, 'End the session of a refresh token', []),
  ];
}
