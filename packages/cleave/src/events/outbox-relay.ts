import type { Kysely } from 'kysely';
import type { Logger } from '../telemetry/logger.ts';
import type { EventEnvelope } from './event-envelope.ts';
import type { EventTables } from './event-tables.ts';
import type { EventTransport } from './event-transport.ts';
import { IDLE_POLL_MAX_MS, IDLE_POLL_MS, WakeableLoop } from '../util/wakeable-loop.ts';
import type { PassResult } from '../util/wakeable-loop.ts';

export interface OutboxRelayOptions {
  readonly batchSize?: number;
  readonly idleMs?: number;
}

/**
 * Moves a module's committed events from its outbox to the event transport, in `seq`
 * order, marking them published only after the transport accepted them. A crash in
 * between republishes them; the subscribers' inboxes drop the duplicates.
 */
export class OutboxRelay extends WakeableLoop {

  constructor(
    private readonly module: string,
    private readonly db: Kysely<EventTables>,
    private readonly transport: EventTransport,
    logger: Logger,
    private readonly options: OutboxRelayOptions = {},
  ) {
    super(options.idleMs ?? IDLE_POLL_MS, (err) => logger.warn({ err, module }, 'outbox relay: publishing failed; will retry'), options.idleMs ?? IDLE_POLL_MAX_MS);
  }

  protected async pass(): Promise<PassResult> {
    return { worked: (await this.relayOnce()) > 0 };
  }

  /** Publishes one batch; returns how many events it published. */
  async relayOnce(): Promise<number> {
    const rows = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('published_at', 'is', null)
      .orderBy('seq')
      .limit(this.options.batchSize ?? 500)
      .execute();
    if (rows.length === 0) return 0;
    const envelopes: EventEnvelope[] = rows.map((r) => ({
      id: r.id,
      publisher: this.module,
      name: r.name,
      aggregateKey: r.aggregate_key,
      seq: String(r.seq),
      payload: r.payload,
      traceparent: r.traceparent,
      createdAt: r.created_at.toISOString(),
    }));
    await this.transport.publish(this.module, envelopes);
    await this.db
      .updateTable('outbox')
      .set({ published_at: new Date() })
      .where('seq', 'in', rows.map((r) => r.seq))
      .execute();
    return rows.length;
  }
}
