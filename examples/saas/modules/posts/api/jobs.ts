import { defineJob } from '@cleavejs/core';
import { z } from 'zod';
import type { PostsDb } from '../db/schema.ts';
import { publishScheduled } from '../lib/post-repository.ts';

const PublishPayload = z.object({ postId: z.string() });

/** Publishes a scheduled post at its `publishAt` (enqueued by createPost with `runAt`). */
export const publishPost = defineJob<typeof PublishPayload, PostsDb>('publishPost', {
  payload: PublishPayload,
  handler: async ({ postId }, ctx) => {
    await publishScheduled(ctx.db, postId, new Date());
  },
});
