import type { Migrations } from '@cleavejs/core';
import { sql } from 'kysely';

export const migrations: Migrations = {
  '0001_charges': {
    async up(db) {
      await db.schema
        .createTable('charges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // One charge per order: a second would be a double charge.
        .addColumn('order_id', 'text', (c) => c.notNull().unique())
        .addColumn('amount_cents', 'integer', (c) => c.notNull())
        .addColumn('refunded_cents', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('provider_ref', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addCheckConstraint('refund_within_charge', sql`refunded_cents between 0 and amount_cents`)
        .execute();
    },
  },
};
