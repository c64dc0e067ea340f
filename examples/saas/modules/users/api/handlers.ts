import { burnPasswordCheck, errors, hashPassword, verifyPassword } from '@cleavejs/core';
import type { Handlers, ModuleContext } from '@cleavejs/core';
import type { UsersDb } from '../db/schema.ts';
import { users } from '../index.ts';
import { findByEmail, findById, insertUser, renameUser, toProfile, toUser } from '../lib/user-repository.ts';

function signedIn(ctx: ModuleContext<UsersDb>): string {
  if (ctx.user === undefined) throw errors.UNAUTHENTICATED('this operation acts for a signed-in user');
  return ctx.user.id;
}

export const handlers: Handlers<typeof users, UsersDb> = {
  async register({ email, password, name }, ctx) {
    if (await findByEmail(ctx.db, email)) throw users.$errors.EMAIL_TAKEN(`${email} is already registered`);
    const passwordHash = await hashPassword(password);
    const row = await ctx.transaction(async (tx) => {
      const inserted = await insertUser(tx.db, { email, name, passwordHash });
      if (inserted) await tx.publish(users.$events['user.created.v1'], { userId: inserted.id, email, name });
      return inserted;
    });
    if (row === undefined) throw users.$errors.EMAIL_TAKEN(`${email} is already registered`);
    ctx.log.info({ userId: row.id }, 'user registered');
    return toUser(row);
  },

  async verifyCredentials({ email, password }, ctx) {
    const row = await findByEmail(ctx.db, email);
    const ok = row === undefined ? await burnPasswordCheck(password) : await verifyPassword(row.password_hash, password);
    if (!row || !ok) throw users.$errors.INVALID_CREDENTIALS();
    return toUser(row);
  },

  async getMe(_input, ctx) {
    const row = await findById(ctx.db, signedIn(ctx));
    if (!row) throw users.$errors.NOT_FOUND();
    return toUser(row);
  },

  async updateMe({ name }, ctx) {
    const row = await ctx.transaction(async (tx) => {
      // The row update comes first: its lock orders concurrent renames of one user,
      // so their events reach the outbox in the order the renames commit.
      const renamed = await renameUser(tx.db, signedIn(ctx), name);
      if (renamed) await tx.publish(users.$events['user.updated.v1'], { userId: renamed.id, name: renamed.name });
      return renamed;
    });
    if (!row) throw users.$errors.NOT_FOUND();
    return toUser(row);
  },

  async getPublicProfile({ id }, ctx) {
    const row = await findById(ctx.db, id);
    if (!row) throw users.$errors.NOT_FOUND(`no user with id ${id}`);
    return toProfile(row);
  },
};
