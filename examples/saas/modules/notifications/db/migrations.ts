import type { Migrations } from '@cleavejs/core';

export const migrations: Migrations = {
  '0001_sent_emails': {
    async up(db) {
      await db.schema
        .createTable('sent_emails')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('to_address', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('caused_by', 'text', (c) => c.notNull().unique())
        .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sent_emails_to').on('sent_emails').columns(['to_address', 'sent_at desc']).execute();
    },
  },
  '0002_recipients': {
    // Who gets digests: learned from user.created.v1 (no query crosses into users' tables).
    async up(db) {
      await db.schema
        .createTable('recipients')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
