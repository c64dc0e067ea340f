import { z } from 'zod';

export const PostId = z.string().min(1).max(64);
export const Title = z.string().trim().min(1, 'must not be empty').max(200);
export const Body = z.string().min(1, 'must not be empty').max(20_000);

/** A post's image once media has made its thumbnails (eventual consistency: null until then). */
export const PostImage = z.object({
  id: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  urls: z.object({ original: z.string(), small: z.string(), medium: z.string(), large: z.string() }),
});
export type PostImage = z.infer<typeof PostImage>;

export const Post = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  authorId: z.string(),
  /** Denormalised from the users module; may lag a rename briefly (eventual consistency). */
  authorName: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** When the post became visible to others; null while it is scheduled (`publishAt`). */
  publishedAt: z.iso.datetime().nullable(),
  image: PostImage.nullable(),
});
export type Post = z.infer<typeof Post>;

export const PostPage = z.object({
  items: z.array(Post),
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});
