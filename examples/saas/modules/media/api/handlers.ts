import { randomUUID } from 'node:crypto';
import { errors, isCleaveError } from '@cleavejs/core';
import type { Handlers } from '@cleavejs/core';
import { posts } from '../../posts/index.ts';
import type { MediaDb } from '../db/schema.ts';
import { media } from '../index.ts';
import { IMMUTABLE } from '../lib/etag.ts';
import { findOriginal, findThumbnail, insertImage } from '../lib/image-repository.ts';
import { sniffImageType } from '../lib/sniff.ts';
import { imageUrls } from '../types/image.ts';

export const handlers: Handlers<typeof media, MediaDb> = {
  async uploadPostImage({ id, body, contentType }, ctx) {
    if (ctx.user === undefined) throw errors.UNAUTHENTICATED('uploading acts for a signed-in user');
    const sniffed = sniffImageType(body);
    if (sniffed !== contentType) {
      throw media.$errors.UNSUPPORTED_IMAGE(sniffed ? `the body is ${sniffed}, not ${contentType}` : `the body is not a PNG, JPEG or WebP image`, { declared: contentType, sniffed: sniffed ?? null });
    }
    const post = await ctx.call(posts.getPost, { id }).catch((err: unknown) => {
      if (isCleaveError(err, posts.$errors.NOT_FOUND)) throw media.$errors.POST_NOT_FOUND(`no post with id ${id}`);
      throw err;
    });
    if (post.authorId !== ctx.user.id) throw media.$errors.NOT_AUTHOR();
    const imageId = randomUUID();
    // The original and the event in one transaction: the thumbnails are owed as soon as the upload is.
    await ctx.transaction(async (tx) => {
      await insertImage(tx.db, { id: imageId, postId: id, ownerId: ctx.user?.id ?? '', contentType: sniffed, data: body });
      await tx.publish(media.$events['image.uploaded.v1'], { imageId, postId: id });
    });
    return { imageId, postId: id, status: 'processing' as const, contentType: sniffed, bytes: body.byteLength, urls: imageUrls(imageId) };
  },

  async getImage({ imageId, variant }, ctx) {
    if (variant === 'original') {
      const image = await findOriginal(ctx.db, imageId);
      if (!image) throw media.$errors.IMAGE_NOT_FOUND(`no image with id ${imageId}`);
      return { body: image.original, contentType: image.content_type, etag: image.etag, cacheControl: IMMUTABLE };
    }
    const thumbnail = await findThumbnail(ctx.db, imageId, variant);
    if (thumbnail) return { body: thumbnail.data, contentType: thumbnail.content_type, etag: thumbnail.etag, cacheControl: IMMUTABLE };
    const image = await findOriginal(ctx.db, imageId);
    if (!image) throw media.$errors.IMAGE_NOT_FOUND(`no image with id ${imageId}`);
    throw media.$errors.IMAGE_NOT_READY(image.status === 'failed' ? 'the image could not be decoded; no thumbnails will be made' : 'thumbnails are being made; try again shortly', { imageStatus: image.status });
  },
};
