import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { ColumnType, Kysely } from 'kysely';
import { errors } from '../errors/framework-errors.ts';
import type { Migrations } from '../data/migrations.ts';

interface RefreshTokenTable {
  token_hash: string;
  family_id: string;
  user_id: string;
  created_at: ColumnType<Date, never, never>;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  /** The token this one was issued for (null for a session's first). */
  parent_hash: ColumnType<string | null, string | null | undefined, never>;
}

export interface SessionsDb {
  refresh_tokens: RefreshTokenTable;
}

/** The gateway's own schema for sessions; the framework applies it like a module's. */
export const SESSIONS_SCHEMA = 'cleave_sessions';

export const sessionMigrations: Migrations = {
  '0001_refresh_tokens': {
    async up(db) {
      await db.schema
        .createTable('refresh_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('family_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('used_at', 'timestamptz')
        .addColumn('revoked_at', 'timestamptz')
        .execute();
      await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute();
    },
  },
  '0002_refresh_token_parent': {
    async up(db) {
      await db.schema.alterTable('refresh_tokens').addColumn('parent_hash', 'text').execute();
      await db.schema.createIndex('refresh_tokens_parent').on('refresh_tokens').column('parent_hash').execute();
    },
  },
};

/** How long a spent refresh token may be presented again by a client refreshing in parallel. */
export const DEFAULT_REUSE_GRACE_SECONDS = 5;

export interface IssuedRefreshToken {
  readonly token: string;
  readonly sessionId: string;
  readonly userId: string;
}

/**
 * Rotating refresh tokens. A token is 256 random bits, stored only as its SHA-256.
 * Each refresh spends the presented token and issues the next one in the same family
 * (the session); presenting a spent token again is treated as theft and revokes the
 * whole family, as OAuth 2.0 Security BCP §4.14 recommends. Logout revokes the family.
 *
 * One exception, as Auth0's reuse interval and Okta's grace period make it: a client
 * that refreshes from several tabs or requests at once presents the same token several
 * times within milliseconds. Within `reuseGraceSeconds` (default 5) of its first use,
 * and only while no token issued for it has been used yet, a spent token gets another
 * successor instead of ending the session. Presented later, or after the client moved
 * on with a successor, it is reuse as before.
 */
export class SessionStore {
  readonly #db: Kysely<SessionsDb>;
  readonly #ttlMs: number;
  // Revoked sessions, so access tokens of a logged-out session are refused at once.
  // Kept until the longest-lived access token of that session has expired.
  readonly #revoked = new Map<string, number>();
  readonly #accessTtlMs: number;

  readonly #graceMs: number;

  constructor(db: Kysely<SessionsDb>, options: { refreshTtlSeconds: number; accessTtlSeconds: number; reuseGraceSeconds?: number }) {
    this.#db = db;
    this.#ttlMs = options.refreshTtlSeconds * 1000;
    this.#accessTtlMs = options.accessTtlSeconds * 1000;
    this.#graceMs = (options.reuseGraceSeconds ?? DEFAULT_REUSE_GRACE_SECONDS) * 1000;
  }

  /** Starts a new session for a user (login or signup). */
  async start(userId: string): Promise<IssuedRefreshToken> {
    const sessionId = randomUUID();
    const token = await this.#insert(this.#db, sessionId, userId);
    return { token, sessionId, userId };
  }

  /** Spends a refresh token and returns the next one of its session. */
  async rotate(token: string): Promise<IssuedRefreshToken> {
    const outcome = await this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('token_hash', '=', digest(token))
        .forUpdate()
        .executeTakeFirst();
      if (row === undefined) return { error: 'the refresh token is not known' } as const;
      if (row.revoked_at !== null) return { error: 'the session has ended' } as const;
      if (row.used_at !== null) {
        if (row.used_at.getTime() + this.#graceMs > Date.now() && !(await successorUsed(trx, row.token_hash))) {
          const sibling = await this.#insert(trx, row.family_id, row.user_id, row.token_hash);
          return { issued: { token: sibling, sessionId: row.family_id, userId: row.user_id } } as const;
        }
        await revokeFamily(trx, row.family_id);
        return { error: 'the refresh token was already used; the session is revoked', revokedFamily: row.family_id } as const;
      }
      if (row.expires_at.getTime() <= Date.now()) return { error: 'the refresh token has expired' } as const;
      await trx.updateTable('refresh_tokens').set({ used_at: new Date() }).where('token_hash', '=', row.token_hash).execute();
      const next = await this.#insert(trx, row.family_id, row.user_id, row.token_hash);
      return { issued: { token: next, sessionId: row.family_id, userId: row.user_id } } as const;
    });
    if ('issued' in outcome) return outcome.issued;
    if ('revokedFamily' in outcome && outcome.revokedFamily) this.#markRevoked(outcome.revokedFamily);
    throw errors.UNAUTHENTICATED(outcome.error);
  }

  /** Ends the session a refresh token belongs to. Unknown tokens are ignored (logout is idempotent). */
  async revoke(token: string): Promise<void> {
    const row = await this.#db.selectFrom('refresh_tokens').select('family_id').where('token_hash', '=', digest(token)).executeTakeFirst();
    if (row === undefined) return;
    await revokeFamily(this.#db, row.family_id);
    this.#markRevoked(row.family_id);
  }

  /** Reloads sessions revoked recently enough that their access tokens could still be live. */
  async loadRecentRevocations(): Promise<void> {
    const since = new Date(Date.now() - this.#accessTtlMs);
    const rows = await this.#db.selectFrom('refresh_tokens').select(['family_id', 'revoked_at']).distinct().where('revoked_at', '>', since).execute();
    for (const row of rows) if (row.revoked_at) this.#revoked.set(row.family_id, row.revoked_at.getTime() + this.#accessTtlMs);
  }

  isRevoked(sessionId: string): boolean {
    const until = this.#revoked.get(sessionId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#revoked.delete(sessionId);
    return false;
  }

  #markRevoked(sessionId: string): void {
    this.#revoked.set(sessionId, Date.now() + this.#accessTtlMs);
  }

  async #insert(db: Kysely<SessionsDb>, familyId: string, userId: string, parentHash: string | null = null): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await db
      .insertInto('refresh_tokens')
      .values({ token_hash: digest(token), family_id: familyId, user_id: userId, expires_at: new Date(Date.now() + this.#ttlMs), parent_hash: parentHash })
      .execute();
    return token;
  }
}

/** Whether the client already moved on: a token issued for this one has itself been used. */
async function successorUsed(db: Kysely<SessionsDb>, tokenHash: string): Promise<boolean> {
  const used = await db.selectFrom('refresh_tokens').select('token_hash').where('parent_hash', '=', tokenHash).where('used_at', 'is not', null).executeTakeFirst();
  return used !== undefined;
}

function revokeFamily(db: Kysely<SessionsDb>, familyId: string) {
  return db.updateTable('refresh_tokens').set({ revoked_at: new Date() }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
