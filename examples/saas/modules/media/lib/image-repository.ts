import type { Kysely } from 'kysely';
import type { MediaDb } from '../db/schema.ts';
import type { ImageType } from '../types/image.ts';
import type { Thumbnails } from './thumbnail-pool.ts';
import { etagOf } from './etag.ts';

// pg sends a Buffer as bytea but would JSON-encode a plain Uint8Array; PGlite takes both.
const asBuffer = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

export function insertImage(db: Kysely<MediaDb>, image: { id: string; postId: string; ownerId: string; contentType: ImageType; data: Uint8Array }) {
  return db
    .insertInto('images')
    .values({
      id: image.id,
      post_id: image.postId,
      owner_id: image.ownerId,
      content_type: image.contentType,
      size_bytes: image.data.byteLength,
      original: asBuffer(image.data),
      etag: etagOf(image.data),
      status: 'processing',
      width: null,
      height: null,
      failure: null,
      created_at: new Date(),
    })
    .execute();
}

export function findOriginal(db: Kysely<MediaDb>, id: string) {
  return db.selectFrom('images').select(['id', 'post_id', 'status', 'content_type', 'original', 'etag']).where('id', '=', id).executeTakeFirst();
}

export function findThumbnail(db: Kysely<MediaDb>, imageId: string, variant: string) {
  return db.selectFrom('thumbnails').select(['data', 'content_type', 'etag']).where('image_id', '=', imageId).where('variant', '=', variant).executeTakeFirst();
}

/** Stores what the worker made; a redelivered event finds the rows there and changes nothing. */
export async function storeThumbnails(db: Kysely<MediaDb>, imageId: string, made: Thumbnails): Promise<void> {
  await db
    .insertInto('thumbnails')
    .values(made.thumbnails.map((t) => ({ image_id: imageId, variant: t.variant, content_type: 'image/webp', width: t.width, height: t.height, data: asBuffer(t.data), etag: etagOf(t.data) })))
    .onConflict((oc) => oc.columns(['image_id', 'variant']).doNothing())
    .execute();
  await db.updateTable('images').set({ status: 'ready', width: made.width, height: made.height }).where('id', '=', imageId).execute();
}

export async function markFailed(db: Kysely<MediaDb>, imageId: string, reason: string): Promise<void> {
  await db.updateTable('images').set({ status: 'failed', failure: reason.slice(0, 500) }).where('id', '=', imageId).execute();
}
