import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleaveError } from '../errors/cleave-error.ts';
import { migrateModule } from '../data/migrations.ts';
import { openModuleDatabase } from '../data/module-database.ts';
import type { ModuleDatabase } from '../data/module-database.ts';
import { SESSIONS_SCHEMA, sessionMigrations, SessionStore } from './session-store.ts';
import type { SessionsDb } from './session-store.ts';

async function refusal(promise: Promise<unknown>): Promise<CleaveError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CleaveError);
  expect((err as CleaveError).code).toBe('cleave.UNAUTHENTICATED');
  return err as CleaveError;
}

describe('SessionStore (PGlite in memory)', () => {
  let database: ModuleDatabase<SessionsDb>;
  let db: Kysely<SessionsDb>;
  let store: SessionStore;

  beforeAll(async () => {
    database = await openModuleDatabase<SessionsDb>(SESSIONS_SCHEMA, { kind: 'pglite', dataDir: undefined });
    db = database.db;
    await migrateModule(db as Kysely<unknown>, SESSIONS_SCHEMA, sessionMigrations);
    store = new SessionStore(db, { refreshTtlSeconds: 3600, accessTtlSeconds: 900 });
  });
  afterAll(async () => {
    await database.close();
  });

  it('starts a session with a random token stored only as its hash', async () => {
    const session = await store.start('user-1');
    expect(session.userId).toBe('user-1');
    expect(session.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await db.selectFrom('refresh_tokens').selectAll().where('family_id', '=', session.sessionId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).not.toBe(session.token);
    expect(rows[0]?.user_id).toBe('user-1');
  });

  it('rotate spends a token and issues a new one in the same session', async () => {
    const first = await store.start('user-1');
    const second = await store.rotate(first.token);
    expect(second.token).not.toBe(first.token);
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.userId).toBe('user-1');
    const third = await store.rotate(second.token);
    expect(third.sessionId).toBe(first.sessionId);
    expect(store.isRevoked(first.sessionId)).toBe(false);
  });

  it('treats reuse of a spent token as theft: refuses it and revokes the whole session', async () => {
    const first = await store.start('user-2');
    const second = await store.rotate(first.token);
    await store.rotate(second.token); // the client moved on: no grace for the old token any more
    const err = await refusal(store.rotate(first.token));
    expect(err.detail).toMatch(/already used/);
    // The newest token of the family is dead too.
    await refusal(store.rotate(second.token));
    expect(store.isRevoked(first.sessionId)).toBe(true);
    const rows = await db.selectFrom('refresh_tokens').select('revoked_at').where('family_id', '=', first.sessionId).execute();
    expect(rows.length).toBe(3);
    expect(rows.every((r) => r.revoked_at !== null)).toBe(true);
  });

  it('leaves other sessions of the same user alone when one is revoked', async () => {
    const stolen = await store.start('user-3');
    const other = await store.start('user-3');
    await store.rotate((await store.rotate(stolen.token)).token);
    await refusal(store.rotate(stolen.token));
    await expect(store.rotate(other.token)).resolves.toMatchObject({ sessionId: other.sessionId });
    expect(store.isRevoked(other.sessionId)).toBe(false);
  });

  it('revoke (logout) ends the session: its token can no longer be rotated', async () => {
    const session = await store.start('user-4');
    await store.revoke(session.token);
    const err = await refusal(store.rotate(session.token));
    expect(err.detail).toMatch(/ended/);
    expect(store.isRevoked(session.sessionId)).toBe(true);
  });

  it('revoke with a spent token still ends the session', async () => {
    const first = await store.start('user-5');
    const second = await store.rotate(first.token);
    await store.revoke(first.token);
    await refusal(store.rotate(second.token));
  });

  it('refuses an unknown token', async () => {
    const err = await refusal(store.rotate('no-such-token'));
    expect(err.detail).toMatch(/not known/);
  });

  it('refuses an expired token', async () => {
    const shortLived = new SessionStore(db, { refreshTtlSeconds: 0, accessTtlSeconds: 900 });
    const session = await shortLived.start('user-6');
    const err = await refusal(shortLived.rotate(session.token));
    expect(err.detail).toMatch(/expired/);
  });

  it('ignores revoking an unknown token (logout is idempotent)', async () => {
    const before = await db.selectFrom('refresh_tokens').select('token_hash').where('revoked_at', 'is', null).execute();
    await expect(store.revoke('no-such-token')).resolves.toBeUndefined();
    const after = await db.selectFrom('refresh_tokens').select('token_hash').where('revoked_at', 'is', null).execute();
    expect(after.length).toBe(before.length);
  });

  it('revoking twice is harmless', async () => {
    const session = await store.start('user-7');
    await store.revoke(session.token);
    await expect(store.revoke(session.token)).resolves.toBeUndefined();
    expect(store.isRevoked(session.sessionId)).toBe(true);
  });

  it('a new store learns recent revocations from the database', async () => {
    const session = await store.start('user-8');
    await store.revoke(session.token);
    const restarted = new SessionStore(db, { refreshTtlSeconds: 3600, accessTtlSeconds: 900 });
    expect(restarted.isRevoked(session.sessionId)).toBe(false);
    await restarted.loadRecentRevocations();
    expect(restarted.isRevoked(session.sessionId)).toBe(true);
  });

  it('forgets a revocation once no access token of the session can be live', async () => {
    const noAccessTtl = new SessionStore(db, { refreshTtlSeconds: 3600, accessTtlSeconds: 0 });
    const session = await noAccessTtl.start('user-9');
    await noAccessTtl.revoke(session.token);
    expect(noAccessTtl.isRevoked(session.sessionId)).toBe(false);
  });

  describe('grace window for parallel refreshes (issue 12)', () => {
    it('ten parallel refreshes with one token all get a working successor; the session lives', async () => {
      const session = await store.start('user-10');
      const pairs = await Promise.all(Array.from({ length: 10 }, () => store.rotate(session.token)));
      expect(new Set(pairs.map((p) => p.sessionId))).toEqual(new Set([session.sessionId]));
      expect(store.isRevoked(session.sessionId)).toBe(false);
      // Any of them carries the session on.
      await expect(store.rotate(pairs[7]!.token)).resolves.toMatchObject({ sessionId: session.sessionId });
    });

    it('once a successor was used, the old token is reuse again, even within the window', async () => {
      const session = await store.start('user-11');
      const next = await store.rotate(session.token);
      await store.rotate(next.token);
      await refusal(store.rotate(session.token));
      expect(store.isRevoked(session.sessionId)).toBe(true);
    });

    it('after the window, a spent token is reuse and ends the session', async () => {
      const strict = new SessionStore(db, { refreshTtlSeconds: 3600, accessTtlSeconds: 900, reuseGraceSeconds: 0 });
      const session = await strict.start('user-12');
      await strict.rotate(session.token);
      const err = await refusal(strict.rotate(session.token));
      expect(err.detail).toMatch(/already used/);
      expect(strict.isRevoked(session.sessionId)).toBe(true);
    });
  });
});
