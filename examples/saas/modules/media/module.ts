import { defineModule } from '@cleavejs/core';
import { posts } from '../posts/index.ts';
import { handlers } from './api/handlers.ts';
import { migrations } from './db/migrations.ts';
import type { MediaDb } from './db/schema.ts';
import { media } from './index.ts';
import { makeThumbnails } from './lib/thumbnail-pool.ts';
import { findOriginal, markFailed, storeThumbnails } from './lib/image-repository.ts';
import { imageUrls } from './types/image.ts';

/**
 * The media module: images of posts. An upload stores the original and publishes
 * `image.uploaded.v1`; media's own subscriber makes the thumbnails in worker threads
 * (retried, and surviving a crash, like any event) and announces `image.ready.v1`, which
 * posts picks up to show the URLs: eventual consistency, as for author names.
 */
export const mediaModule = defineModule<typeof media, MediaDb>(media, {
  dependsOn: [posts],
  migrations,
  handlers,
  subscriptions: (on) => [
    on(media.$events['image.uploaded.v1'], async ({ imageId, postId }, tx) => {
      const image = await findOriginal(tx.db, imageId);
      if (!image || image.status !== 'processing') return;
      let made;
      try {
        made = await makeThumbnails(image.original);
      } catch (err) {
        // Bytes that pass the sniff but do not decode: a retry would fail the same way.
        tx.log.warn({ imageId, err }, 'image does not decode; no thumbnails');
        await markFailed(tx.db, imageId, err instanceof Error ? err.message : String(err));
        return;
      }
      await storeThumbnails(tx.db, imageId, made);
      await tx.publish(media.$events['image.ready.v1'], { imageId, postId, width: made.width, height: made.height, urls: imageUrls(imageId) });
    }),
  ],
  dir: import.meta.dirname,
});
