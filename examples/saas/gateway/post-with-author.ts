import { defineAggregate, errors, isCleaveError } from '@cleavejs/core';
import { z } from 'zod';
import { Post, posts } from '../modules/posts/index.ts';
import { PublicProfile, users } from '../modules/users/index.ts';

/**
 * `GET /api/v1/posts/:id`: the post plus its author, fetched from the users module
 * through its contract — the seed's response-aggregation example, done at the gateway.
 * When users is down the post is still served, with `author: null` and the answer
 * marked partial (`Cleave-Partial` header), instead of failing whole.
 */
export const postWithAuthor = defineAggregate('getPostWithAuthor', {
  http: { method: 'GET', path: '/posts/:id', summary: 'A post with its author (author null when users is unavailable)' },
  input: z.object({ id: z.string().min(1).max(64) }).strict(),
  output: Post.extend({ author: PublicProfile.nullable() }),
  dependsOn: [posts, users],
  async handler({ id }, ctx) {
    const post = await ctx.call(posts.getPost, { id });
    try {
      return { ...post, author: await ctx.call(users.getPublicProfile, { id: post.authorId }) };
    } catch (err) {
      if (!isCleaveError(err, errors.DEPENDENCY_UNAVAILABLE) && !isCleaveError(err, errors.DEADLINE_EXCEEDED)) throw err;
      ctx.markPartial('users unavailable');
      return { ...post, author: null };
    }
  },
});
