import type { Kysely } from 'kysely';
import type { ModuleTransaction } from './module-transaction.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { AnyOperation, OperationInput, OperationOutput } from './contract.ts';
import type { CallOptions, RequestContext } from './request-context.ts';

/**
 * What a handler receives besides its input: the request context of the call, the
 * module's own database (its schema only), a logger that stamps trace id and module,
 * and `call` to reach other modules through their contracts.
 */
export interface ModuleContext<DB = unknown> extends RequestContext {
  readonly module: string;
  readonly db: Kysely<DB>;
  readonly log: Logger;
  /**
   * Calls another module's operation. In one process this is a function call; when the
   * callee runs elsewhere it travels over HTTP. The module must declare the callee in
   * `dependsOn`.
   *
   * @example
   * const author = await ctx.call(users.getPublicProfile, { id: post.authorId });
   */
  call<Op extends AnyOperation>(op: Op, input: OperationInput<Op>, options?: CallOptions): Promise<OperationOutput<Op>>;
  /**
   * Runs `fn` in a transaction of the module's database. Events published with
   * `tx.publish` are written to the module's outbox in the same transaction: delivered
   * if and only if it commits.
   *
   * @example
   * await ctx.transaction(async (tx) => {
   *   await tx.db.updateTable('users').set({ name }).where('id', '=', id).execute();
   *   await tx.publish(users.$events['user.updated.v1'], { userId: id, name });
   * });
   */
  transaction<T>(fn: (tx: ModuleTransaction<DB>) => Promise<T>): Promise<T>;
  /**
   * Like `transaction`, but at most once per idempotency key of this call: the first
   * outcome is stored with the writes and returned again for a repeated key. Without a
   * key it is a plain transaction. The one line that makes an operation idempotent.
   *
   * @example
   * charge: (input, ctx) => ctx.idempotent(async (tx) => { ...insert the charge...; return charge; })
   */
  idempotent<T>(fn: (tx: ModuleTransaction<DB>) => Promise<T>): Promise<T>;
}
