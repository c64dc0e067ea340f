import type { Migrations } from '@cleavejs/core';

/** Applied in name order at start, once each (recorded in the module's schema). */
export const migrations: Migrations = {
  '0001_notes': {
    async up(db) {
      await db.schema
        .createTable('notes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notes_newest').on('notes').columns(['created_at desc']).execute();
    },
  },
};
