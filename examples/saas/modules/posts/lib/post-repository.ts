import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { PostsDb } from '../db/schema.ts';
import type { Post, PostImage } from '../types/post.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

type PostRow = Selectable<PostsDb['posts']>;

export function toPost(row: PostRow): Post {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    authorId: row.author_id,
    authorName: row.author_name,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    publishedAt: row.published_at === null ? null : row.published_at.toISOString(),
    image: row.image === null ? null : (JSON.parse(row.image) as PostImage),
  };
}

/** Shows an image media has made ready; a late, older announcement (lower seq) does not win. */
export async function setPostImage(db: Kysely<PostsDb>, postId: string, image: PostImage, seq: string): Promise<void> {
  await db
    .updateTable('posts')
    .set({ image: JSON.stringify(image), image_seq: seq })
    .where('id', '=', postId)
    .where('image_seq', '<', seq)
    .execute();
}

export function insertPost(db: Kysely<PostsDb>, post: { title: string; body: string; authorId: string; authorName: string; scheduled: boolean }): Promise<PostRow> {
  // Millisecond timestamps from the app, not now(): cursors carry them, and a
  // microsecond-precise row would not compare equal to its own cursor.
  const now = new Date();
  return db
    .insertInto('posts')
    .values((eb) => ({
      id: randomUUID(),
      title: post.title,
      body: post.body,
      author_id: post.authorId,
      // A rename event handled between fetching the profile and this insert has left the
      // newer name in `authors`: prefer it, or the post would keep the old name for good.
      author_name: eb.fn.coalesce(eb.selectFrom('authors').select('name').where('author_id', '=', post.authorId), eb.val(post.authorName)),
      created_at: now,
      updated_at: now,
      published_at: post.scheduled ? null : now,
    }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findPost(db: Kysely<PostsDb>, id: string): Promise<PostRow | undefined> {
  return db.selectFrom('posts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listFeed(db: Kysely<PostsDb>, query: { authorId?: string | undefined; limit: number; cursor?: string | undefined }) {
  // Scheduled posts stay out of the feed until published (in their place by creation time).
  let q = db.selectFrom('posts').selectAll().where('published_at', 'is not', null).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1);
  if (query.authorId !== undefined) q = q.where('author_id', '=', query.authorId);
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)));
  }
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toPost),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
  };
}

/** Updates a post only if `authorId` wrote it; undefined otherwise (the caller tells which case). */
export function updateOwnPost(db: Kysely<PostsDb>, id: string, authorId: string, changes: { title?: string | undefined; body?: string | undefined }) {
  const set: { title?: string; body?: string; updated_at: Date } = { updated_at: new Date() };
  if (changes.title !== undefined) set.title = changes.title;
  if (changes.body !== undefined) set.body = changes.body;
  return db.updateTable('posts').set(set).where('id', '=', id).where('author_id', '=', authorId).returningAll().executeTakeFirst();
}

export async function deleteOwnPost(db: Kysely<PostsDb>, id: string, authorId: string): Promise<boolean> {
  const result = await db.deleteFrom('posts').where('id', '=', id).where('author_id', '=', authorId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Copies an author's new name onto their posts (denormalised, kept fresh by events), unless
 * a newer rename (higher publisher seq) has already been applied: a transport may redeliver
 * an old event after newer ones, and the last event handled must not be the one that wins.
 */
export async function renameAuthor(db: Kysely<PostsDb>, authorId: string, name: string, seq: string): Promise<void> {
  const applied = await db
    .insertInto('authors')
    .values({ author_id: authorId, name, seq })
    .onConflict((oc) => oc.column('author_id').doUpdateSet({ name, seq }).where('authors.seq', '<', seq))
    .returning('author_id')
    .executeTakeFirst();
  if (applied === undefined) return;
  await db.updateTable('posts').set({ author_name: name }).where('author_id', '=', authorId).execute();
}

/** Makes a scheduled post visible; a second run (a retried job) changes nothing. */
export async function publishScheduled(db: Kysely<PostsDb>, id: string, at: Date): Promise<void> {
  await db.updateTable('posts').set({ published_at: at }).where('id', '=', id).where('published_at', 'is', null).execute();
}
