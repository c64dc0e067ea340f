import { z } from 'zod';

export const PostId = z.string().min(1).max(64);
export const Title = z.string().trim().min(1, 'must not be empty').max(200);
export const Body = z.string().min(1, 'must not be empty').max(20_000);

export const Post = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  authorId: z.string(),
  /** Denormalised from the users module; may lag a rename briefly (eventual consistency). */
  authorName: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Post = z.infer<typeof Post>;

export const PostPage = z.object({
  items: z.array(Post),
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});
