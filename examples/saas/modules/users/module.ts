import { defineModule } from '@cleavejs/core';
import { handlers } from './api/handlers.ts';
import { migrations } from './db/migrations.ts';
import type { UsersDb } from './db/schema.ts';
import { users } from './index.ts';

/** The users module: accounts, credentials and public profiles. */
export const usersModule = defineModule<typeof users, UsersDb>(users, {
  migrations,
  handlers,
});
