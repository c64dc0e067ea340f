import type { Migrations } from '@cleavejs/core';

export const migrations: Migrations = {
  '0001_orders': {
    async up(db) {
      await db.schema
        .createTable('orders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('lines', 'jsonb', (c) => c.notNull())
        .addColumn('total_cents', 'integer')
        .addColumn('currency', 'text')
        .addColumn('failure_reason', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('orders_by_user').on('orders').columns(['user_id', 'created_at desc']).execute();
    },
  },
};
