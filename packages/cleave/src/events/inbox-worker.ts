import { sql } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { validationFailed } from '../errors/validation.ts';
import type { ModuleRuntime, TransactionEffects } from '../runtime/module-runtime.ts';
import { messagingProcessAttributes } from '../telemetry/semantic-attributes.ts';
import { traceLogFields } from '../telemetry/log-fields.ts';
import { parseTraceparent } from '../telemetry/trace-context.ts';
import type { EventTables } from './event-tables.ts';
import type { Subscription } from './subscription.ts';
import { WakeableLoop } from './wakeable-loop.ts';
import type { PassResult } from './wakeable-loop.ts';

type InboxRow = Selectable<EventTables['inbox']>;

export interface InboxWorkerOptions {
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt (exponential backoff), capped at `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly idleMs?: number;
  readonly batchSize?: number;
}

/**
 * Works through a module's inbox. For each aggregate only its oldest pending event is
 * eligible, so events of one aggregate are handled in publish order. Each event is
 * handled in one transaction with the update that marks it done: the effect and the
 * record of it commit together. A failure is retried with exponential backoff; after
 * the last attempt the event is dead-lettered (status `dead`), and later events of its
 * aggregate proceed.
 */
export class InboxWorker extends WakeableLoop {
  readonly #subscriptions: ReadonlyMap<string, Subscription>;
  readonly #db: Kysely<EventTables>;

  constructor(
    private readonly runtime: ModuleRuntime,
    subscriptions: readonly Subscription[],
    private readonly options: InboxWorkerOptions = {},
  ) {
    super(options.idleMs ?? 250, (err) => runtime.logger.warn({ err }, 'inbox worker: a pass failed; will retry'));
    this.#db = runtime.db as Kysely<EventTables>;
    this.#subscriptions = new Map(subscriptions.map((s) => [s.event.name, s]));
  }

  protected pass(): Promise<PassResult> {
    return this.workOnce();
  }

  /** Handles the due head of each aggregate once; reports whether it did anything, and when to look next. */
  async workOnce(): Promise<PassResult> {
    // The head of each aggregate, oldest first across aggregates (ordering the outer query
    // by seq, not by key, so a backlog doesn't starve aggregates with high keys).
    const heads = await sql<InboxRow>`
      select * from (
        select distinct on (publisher, aggregate_key) *
        from inbox where status = 'pending'
        order by publisher, aggregate_key, seq
      ) as head order by seq
      limit ${this.options.batchSize ?? 200}`.execute(this.#db);
    const now = Date.now();
    const due = heads.rows.filter((r) => new Date(r.next_attempt_at).getTime() <= now).sort((a, b) => Number(a.seq) - Number(b.seq));
    for (const row of due) await this.#handle(row);
    const waiting = heads.rows.filter((r) => new Date(r.next_attempt_at).getTime() > now).map((r) => new Date(r.next_attempt_at).getTime() - now);
    return { worked: due.length > 0, ...(waiting.length ? { nextInMs: Math.min(...waiting) } : {}) };
  }

  async #handle(row: InboxRow): Promise<void> {
    const subscription = this.#subscriptions.get(row.name);
    const attempt = row.attempts + 1;
    const maxAttempts = subscription?.maxAttempts ?? this.options.maxAttempts ?? 5;
    const span = this.runtime.tracer.startSpan(`process ${row.name}`, parseTraceparent(row.traceparent), 'consumer',
      messagingProcessAttributes(row.name, row.event_id, this.runtime.name, row.publisher, attempt));
    try {
      if (subscription === undefined) throw new PermanentFailure(`module "${this.runtime.name}" has no handler for ${row.name}`);
      const payload = subscription.event.payload.safeParse(row.payload);
      if (!payload.success) throw new PermanentFailure(validationFailed(payload.error, `payload of ${row.name}`).message);
      const effects: TransactionEffects = { published: [], sagas: 0 };
      await this.#db.transaction().execute(async (trx) => {
        // Re-read under lock: another worker (a second replica) may have handled it.
        const current = await trx.selectFrom('inbox').select('status').where('event_id', '=', row.event_id).forUpdate().executeTakeFirst();
        if (current?.status !== 'pending') return;
        await subscription.handler(payload.data, {
          ...this.runtime.scope(trx as unknown as Transaction<unknown>, span.trace, effects),
          event: { id: row.event_id, name: row.name, publisher: row.publisher, aggregateKey: row.aggregate_key, seq: String(row.seq), attempt },
          trace: span.trace,
          log: this.runtime.logger.child({ ...traceLogFields(span.trace), event: row.name, eventId: row.event_id }),
        });
        await trx.updateTable('inbox').set({ status: 'done', attempts: attempt, handled_at: new Date(), last_error: null }).where('event_id', '=', row.event_id).execute();
      });
      this.runtime.afterCommit(effects);
      span.end();
    } catch (err) {
      span.end(err);
      await this.#recordFailure(row, attempt, maxAttempts, err);
    }
  }

  async #recordFailure(row: InboxRow, attempt: number, maxAttempts: number, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const dead = err instanceof PermanentFailure || attempt >= maxAttempts;
    const backoff = Math.min((this.options.backoffMs ?? 200) * 2 ** (attempt - 1), this.options.maxBackoffMs ?? 30_000);
    await this.#db
      .updateTable('inbox')
      .set({ attempts: attempt, last_error: message.slice(0, 2000), status: dead ? 'dead' : 'pending', next_attempt_at: new Date(Date.now() + backoff) })
      .where('event_id', '=', row.event_id)
      .execute();
    const log = this.runtime.logger;
    if (dead) log.error({ err, event: row.name, eventId: row.event_id, attempts: attempt }, 'event dead-lettered');
    else log.warn({ err, event: row.name, eventId: row.event_id, attempt, retryInMs: backoff }, 'event handler failed; will retry');
  }
}

/** A failure no retry can fix (no handler, invalid payload): dead-letter at once. */
class PermanentFailure extends Error {}
