import { sql } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { validationFailed } from '../errors/validation.ts';
import type { ModuleHost } from '../module/module-host.ts';
import { noEffects } from '../module/module-transaction.ts';
import type { TransactionEffects } from '../module/module-transaction.ts';
import { messagingProcessAttributes } from '../telemetry/semantic-attributes.ts';
import { traceLogFields } from '../telemetry/log-fields.ts';
import { parseTraceparent } from '../telemetry/trace-context.ts';
import type { EventTables } from './event-tables.ts';
import type { Subscription } from './subscription.ts';
import { IDLE_POLL_MAX_MS, IDLE_POLL_MS, WakeableLoop } from '../util/wakeable-loop.ts';
import type { PassResult } from '../util/wakeable-loop.ts';

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
 * handled in a transaction with the update that marks it done: the effect and the
 * record of it commit together. The due heads of one pass share one transaction, each
 * event in its own savepoint, so a failing handler rolls back its own effect only and
 * the batch commits (one commit for many events instead of one each). A failure is
 * retried with exponential backoff; after the last attempt the event is dead-lettered
 * (status `dead`), and later events of its aggregate proceed. If the shared transaction
 * itself fails, nothing of it stays and the events are handled one transaction each.
 */
export class InboxWorker extends WakeableLoop {
  readonly #subscriptions: ReadonlyMap<string, Subscription>;
  readonly #db: Kysely<EventTables>;

  constructor(
    private readonly runtime: ModuleHost,
    subscriptions: readonly Subscription[],
    private readonly options: InboxWorkerOptions = {},
  ) {
    super(options.idleMs ?? IDLE_POLL_MS, (err) => runtime.logger.warn({ err }, 'inbox worker: a pass failed; will retry'), options.idleMs ?? IDLE_POLL_MAX_MS);
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
    for (let i = 0; i < due.length; i += BATCH_MAX) {
      const batch = due.slice(i, i + BATCH_MAX);
      if (batch.length > 1) await this.#handleBatch(batch);
      else await this.#handle(batch[0]!);
    }
    const waiting = heads.rows.filter((r) => new Date(r.next_attempt_at).getTime() > now).map((r) => new Date(r.next_attempt_at).getTime() - now);
    return { worked: due.length > 0, ...(waiting.length ? { nextInMs: Math.min(...waiting) } : {}) };
  }

  /** The due heads in one transaction, a savepoint per event; one at a time if the transaction fails. */
  async #handleBatch(rows: readonly InboxRow[]): Promise<void> {
    const committed: TransactionEffects = noEffects();
    const settled: (() => void)[] = [];
    const done: string[] = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        // Lock the batch's rows once; another worker (a second replica) may have handled some.
        const pending = new Set(
          (await trx.selectFrom('inbox').select(['event_id', 'status']).where('event_id', 'in', rows.map((r) => r.event_id)).forUpdate().execute())
            .filter((r) => r.status === 'pending')
            .map((r) => r.event_id),
        );
        for (const row of rows) {
          if (!pending.has(row.event_id)) continue;
          // Not released after a success: a newer savepoint of the same name hides it, and a
          // release would cost a round trip per event for nothing.
          await sql`savepoint inbox_event`.execute(trx);
          const outcome = await this.#run(trx, row, false);
          if (outcome.ok) {
            done.push(row.event_id);
            committed.published.push(...outcome.effects.published);
            committed.sagas += outcome.effects.sagas;
            committed.jobs += outcome.effects.jobs;
          } else {
            await sql`rollback to savepoint inbox_event`.execute(trx);
            await this.#recordFailure(trx, row, outcome.attempt, outcome.maxAttempts, outcome.err);
          }
          settled.push(outcome.report);
        }
        // Every handled event marked done in one statement, in the same transaction as the effects.
        if (done.length > 0) {
          await trx
            .updateTable('inbox')
            .set((eb) => ({ status: 'done', attempts: eb('attempts', '+', 1), handled_at: new Date(), last_error: null }))
            .where('event_id', 'in', done)
            .execute();
        }
      });
    } catch (err) {
      this.runtime.logger.warn({ err, events: rows.length }, 'inbox worker: a batch transaction failed; handling its events one by one');
      for (const row of rows) await this.#handle(row);
      return;
    }
    this.runtime.afterCommit(committed);
    for (const report of settled) report();
  }

  /** One event's handler and done-mark inside `trx`; what happened, and its spans/logs to emit after commit. */
  async #run(trx: Transaction<EventTables>, row: InboxRow, markDone = true): Promise<RunOutcome> {
    const subscription = this.#subscriptions.get(row.name);
    const { attempt, maxAttempts } = this.#attempt(row);
    const span = this.runtime.tracer.startSpan(`process ${row.name}`, parseTraceparent(row.traceparent), 'consumer',
      messagingProcessAttributes(row.name, row.event_id, this.runtime.name, row.publisher, attempt));
    const effects = noEffects();
    try {
      if (subscription === undefined) throw new PermanentFailure(`module "${this.runtime.name}" has no handler for ${row.name}`);
      const payload = subscription.event.payload.safeParse(row.payload);
      if (!payload.success) throw new PermanentFailure(validationFailed(payload.error, `payload of ${row.name}`).message);
      await subscription.handler(payload.data, {
        ...this.runtime.scope(trx as unknown as Transaction<unknown>, span.trace, effects),
        event: { id: row.event_id, name: row.name, publisher: row.publisher, aggregateKey: row.aggregate_key, seq: String(row.seq), attempt },
        trace: span.trace,
        log: this.runtime.logger.child({ ...traceLogFields(span.trace), event: row.name, eventId: row.event_id }),
      });
      if (markDone) await trx.updateTable('inbox').set({ status: 'done', attempts: attempt, handled_at: new Date(), last_error: null }).where('event_id', '=', row.event_id).execute();
      return { ok: true, effects, report: () => span.end() };
    } catch (err) {
      return { ok: false, err, attempt, maxAttempts, report: () => span.end(err) };
    }
  }

  /** One event in its own transaction (a lone due event, or a batch whose transaction failed). */
  async #handle(row: InboxRow): Promise<void> {
    let outcome: RunOutcome | undefined;
    try {
      await this.#db.transaction().execute(async (trx) => {
        // Re-read under lock: another worker (a second replica) may have handled it.
        const current = await trx.selectFrom('inbox').select('status').where('event_id', '=', row.event_id).forUpdate().executeTakeFirst();
        if (current?.status !== 'pending') return;
        outcome = await this.#run(trx, row);
        if (!outcome.ok) throw outcome.err; // rolls the handler's effect back
      });
    } catch (err) {
      outcome?.report();
      const { attempt, maxAttempts } = this.#attempt(row);
      await this.#recordFailure(this.#db, row, attempt, maxAttempts, err);
      return;
    }
    if (outcome?.ok) {
      this.runtime.afterCommit(outcome.effects);
      outcome.report();
    }
  }

  #attempt(row: InboxRow): { attempt: number; maxAttempts: number } {
    return { attempt: row.attempts + 1, maxAttempts: this.#subscriptions.get(row.name)?.maxAttempts ?? this.options.maxAttempts ?? 5 };
  }

  async #recordFailure(db: Kysely<EventTables>, row: InboxRow, attempt: number, maxAttempts: number, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const dead = err instanceof PermanentFailure || attempt >= maxAttempts;
    const backoff = Math.min((this.options.backoffMs ?? 200) * 2 ** (attempt - 1), this.options.maxBackoffMs ?? 30_000);
    await db
      .updateTable('inbox')
      .set({ attempts: attempt, last_error: message.slice(0, 2000), status: dead ? 'dead' : 'pending', next_attempt_at: new Date(Date.now() + backoff) })
      .where('event_id', '=', row.event_id)
      .execute();
    const log = this.runtime.logger;
    if (dead) log.error({ err, event: row.name, eventId: row.event_id, attempts: attempt }, 'event dead-lettered');
    else log.warn({ err, event: row.name, eventId: row.event_id, attempt, retryInMs: backoff }, 'event handler failed; will retry');
  }
}

/**
 * Events per shared transaction. Each savepoint that writes takes a subtransaction id, and
 * past 64 of them in one transaction PostgreSQL's snapshots overflow to a slower path.
 */
const BATCH_MAX = 48;

type RunOutcome =
  | { readonly ok: true; readonly effects: TransactionEffects; readonly report: () => void }
  | { readonly ok: false; readonly err: unknown; readonly attempt: number; readonly maxAttempts: number; readonly report: () => void };

/** A failure no retry can fix (no handler, invalid payload): dead-letter at once. */
class PermanentFailure extends Error {}
