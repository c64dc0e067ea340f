import { BrokenCircuitError } from 'cockatiel';
import { Pool } from 'undici';
import type { ServiceTokenIssuer } from '../auth/service-tokens.ts';
import { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';
import type { AnyOperation } from '../module/contract.ts';
import type { RequestContext } from '../module/request-context.ts';
import { formatTraceparent } from '../telemetry/trace-context.ts';
import type { SpanAttributes, Tracer } from '../telemetry/tracer.ts';
import { rpcClientAttributes } from '../telemetry/semantic-attributes.ts';
import type { CallTransport } from './call-transport.ts';
import { errorFromProblem } from '../errors/problem.ts';
import { callPath, headers } from '../http/http-protocol.ts';
import { fromWire, RAW_FIELDS_HEADER, toWire } from './raw-wire.ts';
import { TargetPolicies, TransportFailure } from './resilience.ts';
import type { ResilienceOptions } from './resilience.ts';

export interface HttpTransportOptions {
  /** The service hosting the callee modules (the token's audience). */
  readonly service: string;
  readonly baseUrl: string;
  readonly tokens: ServiceTokenIssuer;
  readonly tracer: Tracer;
  readonly resilience?: ResilienceOptions;
  /** Keep-alive connections to the target. */
  readonly connections?: number;
}

// Gateway errors and refusals that mean "not available now", not "your request is wrong".
const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);

/**
 * Sends calls to another service: JSON over HTTP/1.1 keep-alive (an undici Pool per
 * target), with a service token, the trace context, the remaining deadline, the caller
 * and the idempotency key. Per target, a circuit breaker; retries for idempotent
 * operations only. A target that cannot be reached becomes `cleave.DEPENDENCY_UNAVAILABLE`.
 */
export class HttpTransport implements CallTransport {
  readonly kind = 'http';
  readonly #options: HttpTransportOptions;
  readonly #pool: Pool;
  readonly #policies: TargetPolicies;

  constructor(options: HttpTransportOptions) {
    this.#options = options;
    this.#pool = new Pool(options.baseUrl, { connections: options.connections ?? 32, keepAliveTimeout: 30_000, pipelining: 1 });
    this.#policies = new TargetPolicies(options.resilience);
  }

  /** Current circuit state, for readiness and the dashboard. */
  get circuitState(): 'closed' | 'open' | 'half-open' | 'isolated' {
    return (['closed', 'open', 'half-open', 'isolated'] as const)[this.#policies.breaker.state] ?? 'closed';
  }

  async invoke(op: AnyOperation, input: unknown, ctx: RequestContext): Promise<unknown> {
    // Checked before the breaker: a call that never leaves must not count as a probe.
    if (ctx.deadline <= Date.now()) throw errors.DEADLINE_EXCEEDED(`no time left to call ${op.id}`);
    const span = this.#options.tracer.startSpan(op.id, ctx.trace, 'client', this.#spanAttributes(op));
    try {
      const policy = op.idempotent ? this.#policies.idempotent : this.#policies.once;
      const output = await policy.execute(() => this.#send(op, input, { ...ctx, trace: span.trace }));
      span.end();
      return output;
    } catch (err) {
      const error = this.#classify(err);
      span.end(error);
      throw error;
    }
  }

  // Per operation, made once: parsing the URL on every call would cost more than the span.
  readonly #attributes = new Map<string, SpanAttributes>();
  #spanAttributes(op: AnyOperation): SpanAttributes {
    let attributes = this.#attributes.get(op.id);
    if (attributes === undefined) {
      attributes = rpcClientAttributes(op.module, op.name, this.#options.service, this.#options.baseUrl);
      this.#attributes.set(op.id, attributes);
    }
    return attributes;
  }

  async #send(op: AnyOperation, input: unknown, ctx: RequestContext): Promise<unknown> {
    const remaining = ctx.deadline - Date.now();
    if (remaining <= 0) throw errors.DEADLINE_EXCEEDED(`no time left to call ${op.id}`);
    const token = await this.#options.tokens.tokenFor(this.#options.service, ctx.user?.id);
    const message = toWire(input);
    const requestHeaders: Record<string, string> = {
      ...message.headers,
      [headers.authorization]: `Bearer ${token}`,
      [headers.traceparent]: formatTraceparent(ctx.trace),
      [headers.deadline]: String(remaining),
      [headers.caller]: ctx.caller,
    };
    if (ctx.idempotencyKey !== undefined) requestHeaders[headers.idempotencyKey] = encodeURIComponent(ctx.idempotencyKey);
    let response;
    try {
      response = await this.#pool.request({
        method: 'POST',
        path: callPath(op.module, op.name),
        headers: requestHeaders,
        body: message.body,
        // undici's own timers, not an AbortSignal.timeout per call (~5 µs each to make).
        headersTimeout: remaining,
        bodyTimeout: remaining,
      });
    } catch (err) {
      // Only failures of the link are transport failures; a request undici refuses to
      // send (a bad header, say) is a bug here and must not trip the target's circuit.
      if (!isTimeout(err) && !isNetworkError(err)) throw errors.INTERNAL(undefined, undefined, err);
      if (isTimeout(err)) {
        // A callee that hangs counts against its circuit like one that is down.
        const timedOut = errors.DEADLINE_EXCEEDED(`${op.id} did not answer within ${remaining} ms`);
        throw new TransportFailure(timedOut.message, false, { cause: timedOut });
      }
      // Connection refused or reset: safe to retry an idempotent call. The message names
      // the service, not its address (it reaches clients); the cause keeps the address for logs.
      throw new TransportFailure(`${this.#options.service} could not be reached`, true, { cause: err });
    }
    const rawFields = response.headers[RAW_FIELDS_HEADER];
    if (response.statusCode === 200 && typeof rawFields === 'string') return fromWire(rawFields, new Uint8Array(await response.body.arrayBuffer()));
    const text = await response.body.text();
    const body = parseJson(text);
    if (response.statusCode === 200) {
      if (body === undefined && text !== '') throw errors.INTERNAL(`${op.id} answered 200 with a body that is not JSON`);
      return body;
    }
    const error = errorFromProblem(response.statusCode, body);
    // A typed problem is an answer: the callee ran and said no (a dependency of its own
    // down, its deadline passed), which says nothing about its own health. Only a bare
    // 502/503/504 (a proxy in between) or the callee shutting down counts against it.
    if (UNAVAILABLE_STATUSES.has(response.statusCode) && (!isProblem(body) || error.code === errors.SHUTTING_DOWN.code)) {
      throw new TransportFailure(`${this.#options.service} is unavailable (${response.statusCode} ${error.code})`, response.statusCode === 503, { cause: error });
    }
    throw error;
  }

  #classify(err: unknown): CleaveError {
    if (err instanceof CleaveError) return err;
    if (err instanceof BrokenCircuitError) {
      return errors.DEPENDENCY_UNAVAILABLE(`${this.#options.service} is unavailable (circuit open)`, { service: this.#options.service });
    }
    if (err instanceof TransportFailure) {
      if (err.cause instanceof CleaveError && err.cause.code === errors.DEADLINE_EXCEEDED.code) return err.cause;
      return errors.DEPENDENCY_UNAVAILABLE(err.message, { service: this.#options.service }, err);
    }
    return errors.INTERNAL(undefined, undefined, err);
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

function isTimeout(err: unknown): boolean {
  const { name, code } = (err ?? {}) as { name?: string; code?: string };
  return name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

// Codes of failures to reach the target or of a connection lost mid-call.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: string; cause?: { code?: string } } | undefined)?.code ?? (err as { cause?: { code?: string } } | undefined)?.cause?.code;
  return code !== undefined && NETWORK_CODES.has(code);
}

function isProblem(body: unknown): boolean {
  return typeof (body as { code?: unknown } | undefined)?.code === 'string';
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // a proxy's HTML error page, say
  }
}
