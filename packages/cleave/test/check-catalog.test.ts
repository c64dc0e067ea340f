import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogCrossings } from '../src/check/catalog-ownership.ts';

const url = process.env.DATABASE_URL;

/** A database of its own, so the planted objects touch nobody else's schemas. */
describe.skipIf(!url)('catalog check on a running PostgreSQL (DATABASE_URL)', () => {
  const name = `cleave_check_${randomBytes(4).toString('hex')}`;
  let scratchUrl: string;
  const admin = () => new pg.Client({ connectionString: url });

  beforeAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`create database ${name}`);
    await client.end();
    const u = new URL(url!);
    u.pathname = `/${name}`;
    scratchUrl = u.toString();
    const db = new pg.Client({ connectionString: scratchUrl });
    await db.connect();
    await db.query(`
      create schema users; create schema posts; create schema outsider;
      create table users.users (id text primary key, name text);
      create table posts.posts (id text primary key, author_id text);
      create table outsider.things (id text primary key, user_id text references users.users (id));`);
    await db.end();
  });

  afterAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  });

  it('finds nothing when every schema keeps to itself (a schema of no module is not a module)', async () => {
    expect(await catalogCrossings(scratchUrl, ['users', 'posts'])).toEqual([]);
  });

  it('finds a foreign key, a view and a function that reach another module\'s schema', async () => {
    const db = new pg.Client({ connectionString: scratchUrl });
    await db.connect();
    await db.query(`
      alter table posts.posts add constraint posts_author_fk foreign key (author_id) references users.users (id);
      create view posts.with_authors as select p.id, u.name from posts.posts p join users.users u on u.id = p.author_id;
      create function posts.author_name(p text) returns text language sql as $$ select name from users.users where id = p $$;`);
    await db.end();
    const found = await catalogCrossings(scratchUrl, ['users', 'posts']);
    expect(found.map((c) => `${c.kind} ${c.schema}.${c.object} -> ${c.references}`).sort()).toEqual([
      'foreign key posts.posts.posts_author_fk -> users.users',
      'function posts.author_name -> users',
      'view posts.with_authors -> users.users',
    ]);
    expect(found[0]?.message).toMatch(/^database: /);
  });
});
