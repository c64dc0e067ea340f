import { sql } from 'kysely';
import type { ColumnType } from 'kysely';
import type { Migrations } from '../data/migrations.ts';

export type JobStatus = 'pending' | 'running' | 'done' | 'dead';

/**
 * The jobs of a module, in the module's own schema: enqueued in the transaction of the
 * change that asked for them, claimed by a worker with a lease (`lease`, `locked_until`),
 * kept after they finish for their retention (CLEAVE_JOBS_RETAIN_DONE / _DEAD), so that
 * `cleave jobs` can show what ran and a dedupe key (`unique_key`) holds that long.
 * Under `CLEAVE_JOBS=bullmq` the rows stay the record; Redis only carries deliveries.
 */
export interface JobTables {
  jobs: {
    id: string;
    name: string;
    queue: string;
    payload: ColumnType<unknown, string, string>;
    status: JobStatus;
    attempts: number;
    max_attempts: number;
    run_at: Date;
    /** A worker owns a running job until then; past it, another may claim it (its worker died). */
    locked_until: Date | null;
    /** The owning run's claim token: finishing is conditional on it. */
    lease: string | null;
    unique_key: string | null;
    traceparent: string | null;
    last_error: string | null;
    created_at: ColumnType<Date, Date, never>;
    finished_at: Date | null;
    /** When the latest attempt was claimed (null until the first). */
    started_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    /**
     * BullMQ backend only: the id of the queue job that delivers this pending row's next
     * attempt (null: not handed to Redis yet). A worker claims the row only for that
     * delivery, so a stale or repeated one finds nothing to do.
     */
    relayed_as: ColumnType<string | null, string | null | undefined, string | null>;
    /** When the delivery was last handed to Redis: one overdue by far is handed again (Redis may have lost it). */
    relayed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  };
  /** The latest tick each schedule has enqueued (its row lock serialises replicas). */
  job_schedules: {
    name: string;
    last_tick: Date;
  };
  /** One row per rate-limited queue: its row lock serialises the claims of every worker of the module. */
  job_queues: {
    name: string;
  };
  /**
   * Each start of a rate-limited queue's jobs, kept for one window: the limit counts these.
   * Not `jobs.started_at`, which a retry overwrites — the attempt it replaced still counts.
   */
  job_starts: {
    queue: string;
    started_at: Date;
  };
}

export const JOB_MIGRATION_TABLE = 'cleave_job_migrations';

export const jobTableMigrations: Migrations = {
  '0001_jobs': {
    async up(db) {
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('run_at', 'timestamptz', (c) => c.notNull())
        .addColumn('locked_until', 'timestamptz')
        .addColumn('lease', 'text')
        .addColumn('unique_key', 'text')
        .addColumn('traceparent', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('finished_at', 'timestamptz')
        .execute();
      // The worker's claim: due pending jobs of a queue, and running ones whose lease expired.
      await sql`create index jobs_claimable on jobs (queue, run_at) where status in ('pending', 'running')`.execute(db);
      await sql`create unique index jobs_unique_key on jobs (name, unique_key) where unique_key is not null`.execute(db);
      await db.schema
        .createTable('job_schedules')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('last_tick', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
  '0002_job_rate_limits': {
    async up(db) {
      await db.schema.alterTable('jobs').addColumn('started_at', 'timestamptz').execute();
      await db.schema.createTable('job_queues').addColumn('name', 'text', (c) => c.primaryKey()).execute();
      await db.schema
        .createTable('job_starts')
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('started_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('job_starts_window').on('job_starts').columns(['queue', 'started_at']).execute();
    },
  },
  '0003_job_relay': {
    async up(db) {
      await db.schema.alterTable('jobs').addColumn('relayed_as', 'text').execute();
      await db.schema.alterTable('jobs').addColumn('relayed_at', 'timestamptz').execute();
      // The relay's scan: pending rows not handed to Redis yet.
      await sql`create index jobs_unrelayed on jobs (run_at) where status = 'pending' and relayed_as is null`.execute(db);
    },
  },
};
