import { burnPasswordCheck, errors, hashPassword, verifyPassword } from 'cleave';
import type { Handlers, ModuleContext } from 'cleave';
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
    const row = await insertUser(ctx.db, { email, name, passwordHash: await hashPassword(password) });
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
    const row = await renameUser(ctx.db, signedIn(ctx), name);
    if (!row) throw users.$errors.NOT_FOUND();
    return toUser(row);
  },

  async getPublicProfile({ id }, ctx) {
    const row = await findById(ctx.db, id);
    if (!row) throw users.$errors.NOT_FOUND(`no user with id ${id}`);
    return toProfile(row);
  },
};
