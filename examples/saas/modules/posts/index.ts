/**
 * The posts module's contract: the only file other modules may import.
 */
import { defineContract, operation } from '@cleavejs/core';
import { z } from 'zod';
import { Body, Post, PostId, PostPage, Title } from './types/post.ts';

export { Post, PostPage } from './types/post.ts';

export const posts = defineContract('posts', {
  operations: {
    createPost: operation({
      description: 'With `publishAt` in the future the post is scheduled: only its author sees it until a job publishes it then.',
      input: z.object({ title: Title, body: Body, publishAt: z.iso.datetime({ offset: true }).optional() }).strict(),
      output: Post,
      http: { method: 'POST', path: '/posts', status: 201, summary: 'Write a post as the signed-in user' },
    }),
    getPost: operation({
      description: 'One post; the public route GET /posts/:id is the gateway aggregate that adds its author.',
      input: z.object({ id: PostId }).strict(),
      output: Post,
      idempotent: true,
    }),
    listPosts: operation({
      input: z.object({
        authorId: z.string().min(1).max(64).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(20),
        cursor: z.string().max(200).optional(),
      }).strict(),
      output: PostPage,
      idempotent: true,
      http: { method: 'GET', path: '/posts', summary: 'Posts, newest first, optionally by one author' },
    }),
    updatePost: operation({
      input: z.object({ id: PostId, title: Title.optional(), body: Body.optional() }).strict(),
      output: Post,
      idempotent: true,
      http: { method: 'PATCH', path: '/posts/:id', summary: 'Edit a post (its author only)' },
    }),
    deletePost: operation({
      input: z.object({ id: PostId }).strict(),
      output: z.object({ deleted: z.literal(true) }),
      idempotent: true,
      http: { method: 'DELETE', path: '/posts/:id', status: 204, summary: 'Delete a post (its author only)' },
    }),
  },
  errors: {
    NOT_FOUND: { status: 404, title: 'Post not found' },
    NOT_AUTHOR: { status: 403, title: 'Only the author may change a post' },
    BAD_CURSOR: { status: 400, title: 'The cursor is not valid' },
  },
});
