import { defineAggregate } from 'cleave';
import { z } from 'zod';
import { Post, posts } from '../modules/posts/index.ts';
import { PublicProfile, users } from '../modules/users/index.ts';

/**
 * `GET /api/v1/posts/:id`: the post plus its author, fetched from the users module
 * through its contract — the seed's response-aggregation example, done at the gateway.
 */
export const postWithAuthor = defineAggregate('getPostWithAuthor', {
  http: { method: 'GET', path: '/posts/:id', summary: 'A post with its author' },
  input: z.object({ id: z.string().min(1).max(64) }).strict(),
  output: Post.extend({ author: PublicProfile.nullable() }),
  dependsOn: [posts, users],
  async handler({ id }, ctx) {
    const post = await ctx.call(posts.getPost, { id });
    const author = await ctx.call(users.getPublicProfile, { id: post.authorId });
    return { ...post, author };
  },
});
