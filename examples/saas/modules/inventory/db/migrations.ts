import type { Migrations } from '@cleavejs/core';
import { sql } from 'kysely';

export const DEMO_PRODUCTS = [
  { id: 'prod_keyboard', name: 'Mechanical keyboard', price_cents: 8900, currency: 'EUR', stock: 1000 },
  { id: 'prod_mouse', name: 'Wireless mouse', price_cents: 2900, currency: 'EUR', stock: 1000 },
  { id: 'prod_monitor', name: '27" monitor', price_cents: 24900, currency: 'EUR', stock: 500 },
  { id: 'prod_stickers', name: 'Sticker pack', price_cents: 300, currency: 'EUR', stock: 5000 },
];

export const migrations: Migrations = {
  '0001_products': {
    async up(db) {
      await db.schema
        .createTable('products')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('price_cents', 'integer', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        // The database, not the code, guarantees stock never goes negative.
        .addColumn('stock', 'integer', (c) => c.notNull().check(sql`stock >= 0`))
        .execute();
      await db.schema
        .createTable('reservations')
        .addColumn('order_id', 'text', (c) => c.primaryKey())
        .addColumn('lines', 'jsonb', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
  '0002_demo_products': {
    // Seeded once, at first start.
    async up(db) {
      await db.insertInto('products' as never).values(DEMO_PRODUCTS as never).execute();
    },
  },
};
