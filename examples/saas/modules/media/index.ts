/**
 * The media module's contract: the only file other modules may import.
 * Images of posts: uploaded as raw bytes, thumbnails made in the background.
 */
import { bytes, defineContract, event, operation, rawOutput } from '@cleavejs/core';
import { z } from 'zod';
import { IMAGE_TYPES, ImageId, ImageUpload, ImageUrls, MAX_IMAGE_BYTES, Variant } from './types/image.ts';

export { IMAGE_TYPES, ImageUrls, MAX_IMAGE_BYTES, THUMBNAIL_WIDTHS } from './types/image.ts';

const PostId = z.string().min(1).max(64);

export const media = defineContract('media', {
  operations: {
    uploadPostImage: operation({
      description: 'The body is the image itself. Its type is sniffed from the bytes; a body that is not the declared type is refused (415).',
      input: z.object({ id: PostId, body: bytes({ minBytes: 1, maxBytes: MAX_IMAGE_BYTES }), contentType: z.enum(IMAGE_TYPES) }).strict(),
      output: ImageUpload,
      http: { method: 'POST', path: '/posts/:id/image', status: 202, body: 'raw', contentTypes: IMAGE_TYPES, maxBytes: MAX_IMAGE_BYTES, summary: "Set a post's image (its author only); thumbnails follow" },
    }),
    getImage: operation({
      input: z.object({ imageId: ImageId, variant: Variant }).strict(),
      output: rawOutput,
      idempotent: true,
      http: { method: 'GET', path: '/media/:imageId/:variant', auth: 'public', summary: 'An image or one of its thumbnails (immutable: cache it for good)' },
    }),
  },
  events: {
    /** Media's own work queue: its subscriber makes the thumbnails. */
    'image.uploaded.v1': event(z.object({ imageId: z.string(), postId: z.string() }), { aggregateKey: (p) => p.postId }),
    'image.ready.v1': event(
      z.object({ imageId: z.string(), postId: z.string(), width: z.number().int(), height: z.number().int(), urls: ImageUrls }),
      { aggregateKey: (p) => p.postId },
    ),
  },
  errors: {
    POST_NOT_FOUND: { status: 404, title: 'Post not found' },
    NOT_AUTHOR: { status: 403, title: "Only the post's author may set its image" },
    UNSUPPORTED_IMAGE: { status: 415, title: 'The body is not an image of the declared type' },
    IMAGE_NOT_FOUND: { status: 404, title: 'Image not found' },
    IMAGE_NOT_READY: { status: 404, title: 'This thumbnail is not made yet' },
  },
});
