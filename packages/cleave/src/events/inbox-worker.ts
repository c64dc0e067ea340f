import { sql } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { validationFailed } from '../errors/validation.ts';
import type { ModuleHost } from '../module/module-host.ts';
import { noEffects } from '../module/module-transaction.ts';
import type { TransactionEffects } from '../module/module-transaction.ts';
import { messagingProcessAttributes } from '../telemetry/semantic-attributes.ts';
import { traceLogFields } from '../telemetry/log-fields.ts';
import type { Logger } from '../telemetry/logger.ts';
import { parseTraceparent } from '../telemetry/trace-context.ts';
import type { EventTables } from './event-tables.ts';
import { Lanes, splitIntoLanes } from './inbox-lanes.ts';
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
  /** Heads read per pass; default `lanes` × 48 (each lane's transaction takes at most 48). */
  readonly batchSize?: number;
  /**
   * Transactions a pass runs at once, each on its own connection, on disjoint sets of
   * aggregates (a pass's heads are split between them); default 3 of the module pool's 5.
   */
  readonly lanes?: number;
  /** Due heads per lane before another lane opens (default 16): few heads share one transaction. */
  readonly eventsPerLane?: number;
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
 *
 * Up to `lanes` such transactions run at once, each on its own connection (ADR 0024). A
 * lane takes heads of aggregates no other lane is working on, and an aggregate's next
 * event is only a head once the lane that handled the previous one committed: per
 * aggregate, one event at a time, in order. Rows are locked with `skip locked` and
 * handled only if unchanged since read: a row another replica of the module is handling,
 * or has just handled or retried, is left alone, not waited for.
 */
export class InboxWorker extends WakeableLoop {
  readonly #subscriptions: ReadonlyMap<string, Subscription>;
  readonly #db: Kysely<EventTables>;
  #stopping = false;

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

  override start(): void {
    this.#stopping = false;
    super.start();
  }

  /** Lanes in flight finish (commit or roll back); none starts after this call. */
  override async stop(): Promise<void> {
    this.#stopping = true;
    await super.stop();
  }

  /**
   * Handles due heads until none is left: each free lane takes a batch of heads of
   * aggregates no lane is working on. Heads are read ahead (two batches per lane) and
   * kept until a lane is free: a head stays the head of its aggregate while no lane here
   * has it (another replica taking it meanwhile is caught by the lock). They are read
   * again when too few are left, once a lane is done (its aggregates' next events are
   * heads now). Reports whether it did anything, and when to look next.
   */
  async workOnce(): Promise<PassResult> {
    const lanes = new Lanes(Math.max(1, this.options.lanes ?? DEFAULT_LANES));
    // Aggregates a lane is working on: heads read meanwhile still show their head
    // (pending until its lane commits), which must not go to a second lane.
    const inFlight = new Set<string>();
    let candidates: InboxRow[] = [];
    let readAgain = true;
    let readWasFull = false;
    let worked = false;
    let nextInMs: number | undefined;
    while (!this.#stopping && !lanes.failed) {
      if (readAgain && candidates.length < lanes.free * BATCH_MAX) {
        const limit = this.options.batchSize ?? inFlight.size + lanes.size * BATCH_MAX * READ_AHEAD;
        const heads = await this.#heads(limit);
        const now = Date.now();
        const waiting = heads.filter((r) => new Date(r.next_attempt_at).getTime() > now).map((r) => new Date(r.next_attempt_at).getTime() - now);
        nextInMs = waiting.length ? Math.min(...waiting) : undefined;
        candidates = heads.filter((r) => new Date(r.next_attempt_at).getTime() <= now && !inFlight.has(aggregateOf(r)));
        readAgain = false;
        readWasFull = heads.length >= limit;
      }
      const batches = splitIntoLanes(candidates.splice(0, lanes.free * BATCH_MAX), lanes.free, BATCH_MAX, this.options.eventsPerLane ?? EVENTS_PER_LANE);
      for (const batch of batches) {
        const keys = batch.map(aggregateOf);
        for (const key of keys) inFlight.add(key);
        lanes.start(
          () => (batch.length > 1 ? this.#handleBatch(batch) : this.#handle(batch[0]!)),
          () => {
            for (const key of keys) inFlight.delete(key);
            readAgain = true;
          },
        );
      }
      worked ||= batches.length > 0;
      if (!lanes.busy) break;
      // A lane still free and nothing left of a full read: there are more heads, read on at
      // once. Otherwise the next heads come from a lane finishing (events arriving meanwhile wake the loop).
      if (lanes.free > 0 && batches.length > 0 && candidates.length === 0 && readWasFull) readAgain = true;
      else await lanes.next();
    }
    await lanes.drain();
    return { worked, ...(nextInMs !== undefined ? { nextInMs } : {}) };
  }

  /** The head of each aggregate, oldest first across aggregates (so a backlog doesn't starve aggregates with high keys). */
  async #heads(limit: number): Promise<InboxRow[]> {
    const heads = await sql<InboxRow>`
      select * from (
        select distinct on (publisher, aggregate_key) *
        from inbox where status = 'pending'
        order by publisher, aggregate_key, seq
      ) as head order by seq
      limit ${limit}`.execute(this.#db);
    return heads.rows.sort((a, b) => Number(a.seq) - Number(b.seq));
  }

  /** The due heads in one transaction, a savepoint per event; one at a time if the transaction fails. */
  async #handleBatch(rows: readonly InboxRow[]): Promise<void> {
    const committed: TransactionEffects = noEffects();
    const settled: (() => void)[] = [];
    const done: string[] = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        // Lock the batch's rows once. Handle a row only if it is as it was read: another
        // replica may have handled it or recorded a failed attempt since (its backoff then
        // holds), or be handling it now (locked: skipped, not waited for).
        const locked = await trx.selectFrom('inbox').select(['event_id', 'status', 'attempts']).where('event_id', 'in', rows.map((r) => r.event_id)).forUpdate().skipLocked().execute();
        const unchanged = new Map(rows.map((r) => [r.event_id, r]));
        const pending = new Set(locked.filter((r) => isUnchanged(r, unchanged.get(r.event_id))).map((r) => r.event_id));
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
      // The event's logger is made on first use: a pino child per event (its redaction set-up)
      // took ~2 % of the process's CPU samples in bench/events-throughput.ts, for handlers that mostly never log.
      let log: Logger | undefined;
      const logger = this.runtime.logger;
      await subscription.handler(payload.data, {
        ...this.runtime.scope(trx as unknown as Transaction<unknown>, span.trace, effects),
        event: { id: row.event_id, name: row.name, publisher: row.publisher, aggregateKey: row.aggregate_key, seq: String(row.seq), attempt },
        trace: span.trace,
        get log() {
          return (log ??= logger.child({ ...traceLogFields(span.trace), event: row.name, eventId: row.event_id }));
        },
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
        // Re-read under lock, as for a batch: handled or retried since it was read, or being handled now (skipped).
        const current = await trx.selectFrom('inbox').select(['status', 'attempts']).where('event_id', '=', row.event_id).forUpdate().skipLocked().executeTakeFirst();
        if (!isUnchanged(current, row)) return;
        await sql`savepoint inbox_event`.execute(trx);
        outcome = await this.#run(trx, row);
        if (!outcome.ok) {
          // The handler's effect goes, its failure is recorded while the row is still locked:
          // recorded after a rollback instead, another replica could run the event in between
          // (an attempt without its backoff).
          await sql`rollback to savepoint inbox_event`.execute(trx);
          await this.#recordFailure(trx, row, outcome.attempt, outcome.maxAttempts, outcome.err);
        }
      });
    } catch (err) {
      // The transaction itself failed (its commit, the connection): nothing of it stays.
      outcome?.report();
      const { attempt, maxAttempts } = this.#attempt(row);
      await this.#recordFailure(this.#db, row, attempt, maxAttempts, err);
      return;
    }
    outcome?.report();
    if (outcome?.ok) this.runtime.afterCommit(outcome.effects);
  }

  #attempt(row: InboxRow): { attempt: number; maxAttempts: number } {
    return { attempt: row.attempts + 1, maxAttempts: this.#subscriptions.get(row.name)?.maxAttempts ?? this.options.maxAttempts ?? 5 };
  }

  async #recordFailure(db: Kysely<EventTables>, row: InboxRow, attempt: number, maxAttempts: number, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const dead = err instanceof PermanentFailure || attempt >= maxAttempts;
    const backoff = Math.min((this.options.backoffMs ?? 200) * 2 ** (attempt - 1), this.options.maxBackoffMs ?? 30_000);
    const result = await db
      .updateTable('inbox')
      .set({ attempts: attempt, last_error: message.slice(0, 2000), status: dead ? 'dead' : 'pending', next_attempt_at: new Date(Date.now() + backoff) })
      .where('event_id', '=', row.event_id)
      // Only the attempt that was read: after a failed transaction (outside any lock) another
      // replica may have handled the event meanwhile, and a failure written over its `done`
      // would make the event pending again and its effect happen twice.
      .where('status', '=', 'pending')
      .where('attempts', '=', row.attempts)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return;
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

/**
 * A lane opens per this many due heads: below it, a second transaction costs a commit and
 * a lock for the round trips of a handful of events (measured: CPU per event rose by half
 * with a lane per few heads while the worker kept up).
 */
const EVENTS_PER_LANE = 16;

/** Heads read per lane and pass, in batches: what is not taken at once waits for a lane to be free. */
const READ_AHEAD = 2;

/** Lanes by default: 3 of the module pool's 5 connections, leaving 2 to the module's requests and to the inbox's writer. */
const DEFAULT_LANES = 3;

type RunOutcome =
  | { readonly ok: true; readonly effects: TransactionEffects; readonly report: () => void }
  | { readonly ok: false; readonly err: unknown; readonly attempt: number; readonly maxAttempts: number; readonly report: () => void };

/** Order holds per aggregate, and an aggregate is its publisher's key. */
const aggregateOf = (row: InboxRow): string => `${row.publisher}\u0000${row.aggregate_key}`;

/** Whether the row locked now is still the pending attempt that was read (`attempts` only grows, until a replay resets it). */
const isUnchanged = (locked: Pick<InboxRow, 'status' | 'attempts'> | undefined, read: InboxRow | undefined): boolean =>
  locked !== undefined && read !== undefined && locked.status === 'pending' && locked.attempts === read.attempts;

/** A failure no retry can fix (no handler, invalid payload): dead-letter at once. */
class PermanentFailure extends Error {}
