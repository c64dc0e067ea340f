import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { UsersDb } from '../db/schema.ts';
import type { PublicProfile, User } from '../types/user.ts';

type UserRow = Selectable<UsersDb['users']>;

export function toUser(row: UserRow): User {
  return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at.toISOString() };
}

export function toProfile(row: Pick<UserRow, 'id' | 'name'>): PublicProfile {
  return { id: row.id, name: row.name };
}

/** Inserts a user; returns undefined when the email is taken (the unique index decides, race-free). */
export async function insertUser(db: Kysely<UsersDb>, input: { email: string; name: string; passwordHash: string }): Promise<UserRow | undefined> {
  const now = new Date();
  return db
    .insertInto('users')
    .values({ id: randomUUID(), email: input.email, name: input.name, password_hash: input.passwordHash, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function findById(db: Kysely<UsersDb>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findByEmail(db: Kysely<UsersDb>, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export function renameUser(db: Kysely<UsersDb>, id: string, name: string): Promise<UserRow | undefined> {
  return db.updateTable('users').set({ name, updated_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirst();
}
