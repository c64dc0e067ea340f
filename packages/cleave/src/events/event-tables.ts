import { sql } from 'kysely';
import type { ColumnType, Generated } from 'kysely';
import type { Migrations } from '../data/migrations.ts';

/**
 * The framework's tables in every module's schema: `outbox` (events this module
 * published, written in the same transaction as the state change) and `inbox` (events
 * delivered to this module: the queue its handlers work from, and the record that makes
 * a redelivered event a no-op). Kept apart from the module's own migrations, in their
 * own migration table, so framework upgrades never reorder a module's history.
 */
export interface EventTables {
  outbox: {
    seq: Generated<string>;
    id: string;
    name: string;
    aggregate_key: string;
    payload: ColumnType<unknown, string, string>;
    traceparent: string | null;
    created_at: ColumnType<Date, Date, never>;
    published_at: Date | null;
  };
  inbox: {
    event_id: string;
    publisher: string;
    name: string;
    aggregate_key: string;
    seq: string;
    payload: ColumnType<unknown, string, string>;
    traceparent: string | null;
    status: 'pending' | 'done' | 'dead';
    attempts: number;
    next_attempt_at: Date;
    last_error: string | null;
    received_at: ColumnType<Date, Date | undefined, never>;
    handled_at: Date | null;
  };
  /** How far this module has read a broker stream (NATS): stored with the inbox rows it led to. */
  inbox_cursors: {
    source: string;
    position: string;
  };
}

export const EVENT_TABLES_MIGRATION_TABLE = 'cleave_event_migrations';

export const eventTableMigrations: Migrations = {
  '0001_outbox_inbox': {
    async up(db) {
      await db.schema
        .createTable('outbox')
        .addColumn('seq', 'bigserial', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('aggregate_key', 'text', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('traceparent', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('published_at', 'timestamptz')
        .execute();
      // The relay's query: unpublished events in order.
      await sql`create index outbox_unpublished on outbox (seq) where published_at is null`.execute(db);

      await db.schema
        .createTable('inbox')
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('publisher', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('aggregate_key', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('traceparent', 'text')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_error', 'text')
        .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('handled_at', 'timestamptz')
        .execute();
      // The worker's query: the oldest pending event of each aggregate.
      await sql`create index inbox_pending on inbox (publisher, aggregate_key, seq) where status = 'pending'`.execute(db);
    },
  },
  '0002_inbox_cursors': {
    async up(db) {
      await db.schema
        .createTable('inbox_cursors')
        .addColumn('source', 'text', (c) => c.primaryKey())
        .addColumn('position', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
};
