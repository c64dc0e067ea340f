import { sql } from 'kysely';
import type { ColumnType } from 'kysely';
import type { Migrations } from '../data/migrations.ts';

export type SagaStatus = 'running' | 'compensating' | 'completed' | 'failed' | 'stuck';
export type StepStatus = 'pending' | 'done' | 'failed' | 'compensated' | 'compensation_failed';

/** Saga state in the owner module's schema, written with the owner's own changes. */
export interface SagaTables {
  sagas: {
    id: string;
    name: string;
    status: SagaStatus;
    input: ColumnType<unknown, string, string>;
    /** Index of the next step to run, or (compensating) the next step to undo. */
    cursor: number;
    /** Attempts of the current step (or compensation) so far, of every kind. */
    attempts: number;
    /** Of those, the ones whose callee could not be reached: they count against the saga's patience, not the step's bound. */
    unreachable_attempts: ColumnType<number, number | undefined, number>;
    next_attempt_at: Date;
    /** Lease: a runner owns the saga until then (several replicas may run sagas). */
    locked_until: Date | null;
    /** The owning runner's claim token: every transition is conditional on it. */
    lease: string | null;
    error: string | null;
    created_at: ColumnType<Date, Date, never>;
    updated_at: Date;
  };
  saga_steps: {
    saga_id: string;
    step: string;
    position: number;
    status: StepStatus;
    attempts: number;
    result: ColumnType<unknown, string | null, string | null>;
    error: string | null;
    updated_at: Date;
  };
  idempotency_keys: {
    key: string;
    operation: string;
    outcome: 'ok' | 'error';
    result: ColumnType<unknown, string, string>;
    created_at: ColumnType<Date, Date, never>;
  };
}

export const SAGA_MIGRATION_TABLE = 'cleave_saga_migrations';

export const sagaTableMigrations: Migrations = {
  '0001_idempotency_keys': {
    async up(db) {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('result', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['operation', 'key'])
        .execute();
    },
  },
  '0002_sagas': {
    async up(db) {
      await db.schema
        .createTable('sagas')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('input', 'jsonb', (c) => c.notNull())
        .addColumn('cursor', 'integer', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
        .addColumn('locked_until', 'timestamptz')
        .addColumn('lease', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await sql`create index sagas_active on sagas (next_attempt_at) where status in ('running', 'compensating')`.execute(db);
      await db.schema
        .createTable('saga_steps')
        .addColumn('saga_id', 'text', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('result', 'jsonb')
        .addColumn('error', 'text')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('saga_steps_pk', ['saga_id', 'position'])
        .execute();
    },
  },
  '0003_sagas_unreachable_attempts': {
    async up(db) {
      await db.schema.alterTable('sagas').addColumn('unreachable_attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
};
