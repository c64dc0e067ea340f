import { defineModule } from '@cleavejs/core';
import { media } from '../media/index.ts';
import { users } from '../users/index.ts';
import { handlers } from './api/handlers.ts';
import { publishPost } from './api/jobs.ts';
import { migrations } from './db/migrations.ts';
import { renameAuthor, setPostImage } from './lib/post-repository.ts';
import type { PostsDb } from './db/schema.ts';
import { posts } from './index.ts';

/** The posts module: posts and the feed. Reads author names from users through its contract. */
export const postsModule = defineModule<typeof posts, PostsDb>(posts, {
  dependsOn: [users, media],
  migrations,
  handlers,
  // Scheduled posts (createPost with publishAt) are published by this job.
  jobs: [publishPost],
  // The seed's eventual consistency: a rename reaches every post of the author.
  subscriptions: (on) => [
    on(users.$events['user.updated.v1'], async ({ userId, name }, tx) => {
      await renameAuthor(tx.db, userId, name, tx.event.seq);
    }),
    // Thumbnails are made after the upload answered: the post shows them once they exist.
    on(media.$events['image.ready.v1'], async ({ postId, imageId, width, height, urls }, tx) => {
      await setPostImage(tx.db, postId, { id: imageId, width, height, urls }, tx.event.seq);
    }),
  ],
});
