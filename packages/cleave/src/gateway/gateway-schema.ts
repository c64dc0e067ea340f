import { sessionMigrations } from '../auth/session-store.ts';
import type { Migrations } from '../data/migrations.ts';
import { idempotencyRequestsMigration } from './idempotency-store.ts';

/** Migrations of the gateway's own schema (`cleave_sessions`): sessions, then idempotency keys. */
export const gatewayMigrations: Migrations = {
  ...sessionMigrations,
  '0003_idempotency_requests': idempotencyRequestsMigration,
};
