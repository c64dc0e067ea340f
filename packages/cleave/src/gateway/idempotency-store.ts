import type { ColumnType, Kysely } from 'kysely';
import type { Migration } from '../data/migrations.ts';

interface IdempotencyRequestTable {
  /** Whose key: the user id. Keys of two users never meet. */
  scope: string;
  key: string;
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  fingerprint: string;
  state: 'in_flight' | 'done';
  /** While in flight: when a claim is given up as lost (its gateway died). */
  locked_until: Date;
  response_status: number | null;
  response_type: string | null;
  response_body: string | null;
  created_at: ColumnType<Date, Date, never>;
}

export interface IdempotencyDb {
  idempotency_requests: IdempotencyRequestTable;
}

/** In the gateway's own schema, beside the refresh tokens. */
export const idempotencyRequestsMigration: Migration = {
  async up(db) {
    await db.schema
      .createTable('idempotency_requests')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('locked_until', 'timestamptz', (c) => c.notNull())
      .addColumn('response_status', 'integer')
      .addColumn('response_type', 'text')
      .addColumn('response_body', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_requests_pk', ['scope', 'key'])
      .execute();
    await db.schema.createIndex('idempotency_requests_created').on('idempotency_requests').column('created_at').execute();
  },
};

export interface StoredResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: string | null;
}

export type Claim =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | { readonly kind: 'in_flight' }
  | { readonly kind: 'mismatch' };

/** How long a key and its stored answer are kept (Stripe: 24 hours). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3600 * 1000;

/**
 * Idempotency keys of public requests (IETF draft-ietf-httpapi-idempotency-key-header):
 * the first request with a key claims it with its fingerprint; its answer is stored and
 * replayed for the same request, a request with another fingerprint is refused, and one
 * that arrives while the first is in flight is told so.
 */
export class IdempotencyStore {
  readonly #db: Kysely<IdempotencyDb>;
  #claims = 0;

  constructor(db: Kysely<IdempotencyDb>) {
    this.#db = db as Kysely<IdempotencyDb>;
  }

  async claim(scope: string, key: string, fingerprint: string, leaseMs: number): Promise<Claim> {
    if (++this.#claims % 1000 === 0) await this.#purge();
    const now = new Date();
    const lockedUntil = new Date(now.getTime() + leaseMs);
    const inserted = await this.#db
      .insertInto('idempotency_requests')
      .values({ scope, key, fingerprint, state: 'in_flight', locked_until: lockedUntil, response_status: null, response_type: null, response_body: null, created_at: now })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) return { kind: 'claimed' };
    const row = await this.#db.selectFrom('idempotency_requests').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
    if (row === undefined) return this.claim(scope, key, fingerprint, leaseMs); // released meanwhile
    const expired = row.created_at.getTime() + IDEMPOTENCY_RETENTION_MS < now.getTime();
    if (!expired && row.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (!expired && row.state === 'done') {
      return { kind: 'replay', response: { status: row.response_status ?? 200, contentType: row.response_type, body: row.response_body } };
    }
    if (!expired && row.locked_until.getTime() > now.getTime()) return { kind: 'in_flight' };
    // An expired key, or a claim whose gateway died mid-request: take it over, if no one else did.
    const taken = await this.#db
      .updateTable('idempotency_requests')
      .set({ fingerprint, state: 'in_flight', locked_until: lockedUntil, response_status: null, response_type: null, response_body: null })
      .where('scope', '=', scope).where('key', '=', key)
      .where('state', '=', row.state).where('locked_until', '=', row.locked_until)
      .executeTakeFirst();
    return taken.numUpdatedRows > 0n ? { kind: 'claimed' } : { kind: 'in_flight' };
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    await this.#db
      .updateTable('idempotency_requests')
      .set({ state: 'done', response_status: response.status, response_type: response.contentType, response_body: response.body })
      .where('scope', '=', scope).where('key', '=', key)
      .execute();
  }

  /** Gives the key up (the request failed with 5xx): a retry runs again. */
  async release(scope: string, key: string): Promise<void> {
    await this.#db.deleteFrom('idempotency_requests').where('scope', '=', scope).where('key', '=', key).where('state', '=', 'in_flight').execute();
  }

  async #purge(): Promise<void> {
    await this.#db.deleteFrom('idempotency_requests').where('created_at', '<', new Date(Date.now() - IDEMPOTENCY_RETENTION_MS)).execute();
  }
}
