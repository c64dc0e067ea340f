import { defineModule } from 'cleave';
import { users } from '../users/index.ts';
import { handlers } from './api/handlers.ts';
import { migrations } from './db/migrations.ts';
import type { PostsDb } from './db/schema.ts';
import { posts } from './index.ts';

/** The posts module: posts and the feed. Reads author names from users through its contract. */
export const postsModule = defineModule<typeof posts, PostsDb>(posts, {
  dependsOn: [users],
  migrations,
  handlers,
  dir: import.meta.dirname,
});
