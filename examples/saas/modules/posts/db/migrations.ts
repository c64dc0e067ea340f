import type { Migrations } from '@cleavejs/core';
import { sql } from 'kysely';

export const migrations: Migrations = {
  '0001_posts': {
    async up(db) {
      await db.schema
        .createTable('posts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('author_id', 'text', (c) => c.notNull())
        .addColumn('author_name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      // Serves both the global feed and one author's posts, newest first (keyset pagination).
      await db.schema.createIndex('posts_feed').on('posts').columns(['created_at desc', 'id desc']).execute();
      await db.schema.createIndex('posts_by_author').on('posts').columns(['author_id', 'created_at desc', 'id desc']).execute();
    },
  },
  '0002_authors': {
    // The latest author names this module has learned from user.updated.v1 events.
    async up(db) {
      await db.schema
        .createTable('authors')
        .addColumn('author_id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0003_authors_seq': {
    // The seq of the user.updated.v1 event that set the name: an older event delivered late must not win.
    async up(db) {
      await db.schema.alterTable('authors').addColumn('seq', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  '0004_post_images': {
    // The post's image as media last announced it (image.ready.v1), and that event's seq.
    async up(db) {
      await db.schema.alterTable('posts').addColumn('image', 'text').execute();
      await db.schema.alterTable('posts').addColumn('image_seq', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  '0005_scheduled_posts': {
    // Posts can be scheduled: published_at stays null until the publishPost job runs. Existing posts were published when written.
    async up(db) {
      await db.schema.alterTable('posts').addColumn('published_at', 'timestamptz').execute();
      await sql`update posts set published_at = created_at`.execute(db);
    },
  },
};
