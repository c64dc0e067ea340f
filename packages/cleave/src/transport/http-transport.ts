import { BrokenCircuitError } from 'cockatiel';
import { Pool } from 'undici';
import type { ServiceTokenIssuer } from '../auth/service-tokens.ts';
import { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';
import type { AnyOperation } from '../module/contract.ts';
import type { RequestContext } from '../module/request-context.ts';
import { formatTraceparent } from '../telemetry/trace-context.ts';
import type { Tracer } from '../telemetry/tracer.ts';
import type { CallTransport } from './call-transport.ts';
import { callPath, errorFromProblem, headers } from './http-protocol.ts';
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
  get circuitState(): string {
    return String(this.#policies.breaker.state);
  }

  async invoke(op: AnyOperation, input: unknown, ctx: RequestContext): Promise<unknown> {
    const span = this.#options.tracer.startSpan(op.id, ctx.trace, 'client', { 'cleave.transport': 'http', 'cleave.target': this.#options.service });
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

  async #send(op: AnyOperation, input: unknown, ctx: RequestContext): Promise<unknown> {
    const remaining = ctx.deadline - Date.now();
    if (remaining <= 0) throw errors.DEADLINE_EXCEEDED(`no time left to call ${op.id}`);
    const token = await this.#options.tokens.tokenFor(this.#options.service, ctx.user?.id);
    const requestHeaders: Record<string, string> = {
      'content-type': 'application/json',
      [headers.authorization]: `Bearer ${token}`,
      [headers.traceparent]: formatTraceparent(ctx.trace),
      [headers.deadline]: String(remaining),
      [headers.caller]: ctx.caller,
    };
    if (ctx.idempotencyKey !== undefined) requestHeaders[headers.idempotencyKey] = ctx.idempotencyKey;
    let response;
    try {
      response = await this.#pool.request({
        method: 'POST',
        path: callPath(op.module, op.name),
        headers: requestHeaders,
        body: JSON.stringify(input ?? {}),
        signal: AbortSignal.timeout(remaining),
      });
    } catch (err) {
      if (isTimeout(err)) {
        // A callee that hangs counts against its circuit like one that is down.
        const timedOut = errors.DEADLINE_EXCEEDED(`${op.id} did not answer within ${remaining} ms`);
        throw new TransportFailure(timedOut.message, false, { cause: timedOut });
      }
      // Connection refused or reset: safe to retry an idempotent call.
      throw new TransportFailure(`${this.#options.service} could not be reached: ${(err as Error).message}`, true, { cause: err });
    }
    const text = await response.body.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    if (response.statusCode === 200) return body;
    const error = errorFromProblem(response.statusCode, body);
    if (UNAVAILABLE_STATUSES.has(response.statusCode) && error.code !== errors.DEADLINE_EXCEEDED.code) {
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
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}
