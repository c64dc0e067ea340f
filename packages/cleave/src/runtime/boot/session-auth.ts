import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { SESSIONS_SCHEMA, SessionStore } from '../../auth/session-store.ts';
import type { SessionsDb } from '../../auth/session-store.ts';
import { loadSigningKey } from '../../auth/signing-key.ts';
import { UserTokens } from '../../auth/user-tokens.ts';
import type { Migrations } from '../../data/migrations.ts';
import { gatewayMigrations } from '../../gateway/gateway-schema.ts';
import { IdempotencyStore } from '../../gateway/idempotency-store.ts';
import type { IdempotencyDb } from '../../gateway/idempotency-store.ts';
import type { SessionAuth } from '../../gateway/user-auth.ts';
import type { AppDefinition } from '../define-app.ts';
import type { ServiceSettings } from '../settings.ts';

/**
 * Cleave's sessions for a gateway whose app gives `gateway.identity`: the sessions
 * schema, the user-token signing key and the revocations still in force. An app without
 * an identity gets none of it (no sessions database, no key, no auth routes).
 */
export async function openSessionAuth(
  app: AppDefinition,
  settings: ServiceSettings,
  openDatabase: (schema: string, migrations: Migrations) => Promise<{ readonly db: Kysely<unknown> }>,
): Promise<(SessionAuth & { readonly idempotency: IdempotencyStore }) | undefined> {
  const identity = app.gateway.identity;
  if (identity === undefined) return undefined;
  // The sessions schema also keeps the gateway's Idempotency-Key records (issue 12).
  const sessionsDb = await openDatabase(SESSIONS_SCHEMA, gatewayMigrations);
  const key = await loadSigningKey({ name: 'user-tokens', dir: join(settings.dataDir, 'keys'), privateJwk: settings.userTokenKey });
  const tokens = new UserTokens(key, { issuer: `cleave:${app.name}`, audience: `${app.name}-api`, accessTokenTtlSeconds: settings.accessTokenTtlSeconds });
  const sessions = new SessionStore(sessionsDb.db as Kysely<SessionsDb>, {
    refreshTtlSeconds: settings.refreshTokenTtlSeconds,
    accessTtlSeconds: settings.accessTokenTtlSeconds,
  });
  await sessions.loadRecentRevocations();
  return { identity, tokens, sessions, jwks: () => [key.publicJwk], idempotency: new IdempotencyStore(sessionsDb.db as Kysely<IdempotencyDb>) };
}
