import { z } from 'zod';

/** What media accepts: the content types, and a limit that keeps one upload cheap to hold in memory. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];
export const MAX_IMAGE_BYTES = 8 * 1024 * 1024;

/** Thumbnails, by the width they fit in (never enlarged); `original` is the upload itself. */
export const THUMBNAIL_WIDTHS = { small: 128, medium: 512, large: 1024 } as const;
export type ThumbnailVariant = keyof typeof THUMBNAIL_WIDTHS;
export const Variant = z.enum(['original', 'small', 'medium', 'large']);
export type Variant = z.infer<typeof Variant>;

export const ImageId = z.string().min(1).max(64);

/** Public URLs of an image's variants, relative to the gateway's origin. */
export const ImageUrls = z.object({ original: z.string(), small: z.string(), medium: z.string(), large: z.string() });
export type ImageUrls = z.infer<typeof ImageUrls>;

export const ImageUpload = z.object({
  imageId: z.string(),
  postId: z.string(),
  /** `processing` until the thumbnails are made; `image.ready.v1` says when they are. */
  status: z.literal('processing'),
  /** Sniffed from the bytes, not taken from the request's header. */
  contentType: z.enum(IMAGE_TYPES),
  bytes: z.number().int(),
  urls: ImageUrls,
});
export type ImageUpload = z.infer<typeof ImageUpload>;

export function imageUrls(imageId: string): ImageUrls {
  const url = (variant: Variant) => `/api/v1/media/${encodeURIComponent(imageId)}/${variant}`;
  return { original: url('original'), small: url('small'), medium: url('medium'), large: url('large') };
}
