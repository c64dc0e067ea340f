import type { z } from 'zod';
import type { AnyContract, AnyOperation, HttpExposure, OperationInput, OperationOutput } from '../module/contract.ts';
import type { CallOptions, RequestContext } from '../module/request-context.ts';
import type { Logger } from '../telemetry/logger.ts';

/** What an aggregation handler gets: the request context, a logger, and contract calls. */
export interface AggregateContext extends RequestContext {
  readonly log: Logger;
  call<Op extends AnyOperation>(op: Op, input: OperationInput<Op>, options?: CallOptions): Promise<OperationOutput<Op>>;
  /** Marks the answer partial (a dependency was down): sets `Cleave-Partial: <reason>`. */
  markPartial(reason: string): void;
}

export interface AggregateSpec<I extends z.ZodType, O extends z.ZodType> {
  readonly http: HttpExposure;
  readonly input: I;
  readonly output: O;
  /** Contracts the aggregation calls; calling any other module fails. */
  readonly dependsOn: readonly AnyContract[];
  readonly description?: string;
  handler(input: z.output<I>, ctx: AggregateContext): Promise<z.input<O>>;
}

export interface Aggregate<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> extends AggregateSpec<I, O> {
  readonly name: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of aggregates of any shape.
export type AnyAggregate = Aggregate<any, any>;

/**
 * A gateway route that composes several modules' operations into one answer — the
 * seed's `GET /api/v1/posts/:id` (post + author). It lives at the edge, calls modules
 * only through their contracts, and may degrade to a partial answer when one is down.
 *
 * @example
 * export const postWithAuthor = defineAggregate('postWithAuthor', {
 *   http: { method: 'GET', path: '/posts/:id' }, input, output, dependsOn: [posts, users],
 *   async handler({ id }, ctx) { const post = await ctx.call(posts.getPost, { id }); ... },
 * });
 */
export function defineAggregate<I extends z.ZodType, O extends z.ZodType>(name: string, spec: AggregateSpec<I, O>): Aggregate<I, O> {
  return Object.freeze({ ...spec, name });
}
