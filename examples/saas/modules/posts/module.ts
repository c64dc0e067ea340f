import { defineModule } from '@cleavejs/core';
import { users } from '../users/index.ts';
import { handlers } from './api/handlers.ts';
import { migrations } from './db/migrations.ts';
import { renameAuthor } from './lib/post-repository.ts';
import type { PostsDb } from './db/schema.ts';
import { posts } from './index.ts';

/** The posts module: posts and the feed. Reads author names from users through its contract. */
export const postsModule = defineModule<typeof posts, PostsDb>(posts, {
  dependsOn: [users],
  migrations,
  handlers,
  // The seed's eventual consistency: a rename reaches every post of the author.
  subscriptions: (on) => [
    on(users.$events['user.updated.v1'], async ({ userId, name }, tx) => {
      await renameAuthor(tx.db, userId, name, tx.event.seq);
    }),
  ],
});
