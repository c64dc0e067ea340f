import { errors } from '@cleavejs/core';
import type { Handlers, ModuleContext } from '@cleavejs/core';
import { users } from '../../users/index.ts';
import type { PostsDb } from '../db/schema.ts';
import { posts } from '../index.ts';
import { publishPost } from './jobs.ts';
import { deleteOwnPost, findPost, insertPost, listFeed, toPost, updateOwnPost } from '../lib/post-repository.ts';

function signedIn(ctx: ModuleContext<PostsDb>): string {
  if (ctx.user === undefined) throw errors.UNAUTHENTICATED('this operation acts for a signed-in user');
  return ctx.user.id;
}

/** A write that matched no row: 404 when the post is gone, 403 when it is someone else's. */
async function refuseChange(ctx: ModuleContext<PostsDb>, id: string): Promise<never> {
  if (await findPost(ctx.db, id)) throw posts.$errors.NOT_AUTHOR();
  throw posts.$errors.NOT_FOUND(`no post with id ${id}`);
}

export const handlers: Handlers<typeof posts, PostsDb> = {
  async createPost({ title, body, publishAt }, ctx) {
    const authorId = signedIn(ctx);
    // The author's name is copied onto the post (no join across modules); events keep it fresh.
    const author = await ctx.call(users.getPublicProfile, { id: authorId });
    const runAt = publishAt === undefined ? undefined : new Date(publishAt);
    const scheduled = runAt !== undefined && runAt.getTime() > Date.now();
    // With an Idempotency-Key, a retry after a timeout gets the post already written, not a second one.
    return ctx.idempotent(async (tx) => {
      const row = await insertPost(tx.db, { title, body, authorId, authorName: author.name, scheduled });
      // In the same transaction: a post that is not written schedules nothing.
      if (scheduled) await tx.enqueue(publishPost, { postId: row.id }, { runAt, key: row.id });
      return toPost(row);
    });
  },

  async getPost({ id }, ctx) {
    const row = await findPost(ctx.db, id);
    // A scheduled post exists for its author only.
    if (!row || (row.published_at === null && row.author_id !== ctx.user?.id)) throw posts.$errors.NOT_FOUND(`no post with id ${id}`);
    return toPost(row);
  },

  listPosts(query, ctx) {
    return listFeed(ctx.db, query);
  },

  async updatePost({ id, title, body }, ctx) {
    const row = await updateOwnPost(ctx.db, id, signedIn(ctx), { title, body });
    return row ? toPost(row) : refuseChange(ctx, id);
  },

  async deletePost({ id }, ctx) {
    if (await deleteOwnPost(ctx.db, id, signedIn(ctx))) return { deleted: true as const };
    return refuseChange(ctx, id);
  },
};
