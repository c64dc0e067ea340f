import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsFromEnv, startService } from '@cleavejs/core';
import type { StoredSpan } from '@cleavejs/core';
import { app } from '../../app.ts';
import { monolith } from '../../topologies/monolith.ts';
import { deleteNatsNamespace, natsNamespace } from './nats.ts';
import { createTestDatabase } from './postgres.ts';

/** A running deployment of the reference app that the end-to-end suite drives over HTTP. */
export interface Target {
  readonly name: string;
  readonly baseUrl: string;
  /** Where the deployment keeps generated keys (tests forge tokens with the real key). */
  readonly dataDir: string;
  /** The spans recorded so far, where the deployment runs in this process (for `cleave advise`). */
  readonly spans?: () => readonly StoredSpan[];
  stop(): Promise<void>;
}

export interface TargetOptions {
  /** A PostgreSQL server URL; a fresh database is created on it. Absent: the embedded default (CLEAVE_EMBEDDED). */
  readonly postgresUrl?: string | undefined;
  readonly env?: Readonly<Record<string, string>>;
}

/** The user-token signing key the deployment generated, as a private JWK. */
export async function readUserTokenKey(target: Target): Promise<Record<string, string>> {
  return JSON.parse(await readFile(join(target.dataDir, 'keys', 'user-tokens.private.jwk.json'), 'utf8')) as Record<string, string>;
}

/** The monolith topology, in this process, listening on an ephemeral port. */
export async function startMonolith(options: TargetOptions = {}): Promise<Target> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cleave-e2e-'));
  const database = options.postgresUrl ? await createTestDatabase(options.postgresUrl) : undefined;
  const env: Record<string, string> = {
    ...(process.env.NATS_URL ? { NATS_URL: process.env.NATS_URL } : {}),
    CLEAVE_DATA_DIR: dataDir,
    PORT: '0',
    // Each test client sends its own X-Forwarded-For, so per-IP limits don't couple tests.
    CLEAVE_TRUST_PROXY: '1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ...(database ? { DATABASE_URL: database.url } : {}),
    CLEAVE_EVENTS_NAMESPACE: natsNamespace('e2e'),
    ...options.env,
  };
  // Modules read their own configuration (SMTP_URL) from the process environment.
  for (const [key, value] of Object.entries(options.env ?? {})) process.env[key] = value;
  const service = await startService({ app, topology: monolith, settings: settingsFromEnv(env) });
  return {
    name: database ? 'monolith on PostgreSQL' : `monolith on embedded ${env.CLEAVE_EMBEDDED ?? 'postgres'}`,
    baseUrl: service.url as string,
    dataDir,
    spans: () => service.tracer.store?.all() ?? [],
    async stop() {
      await service.stop();
      await database?.drop();
      if (service.events.transport === 'nats' && env.NATS_URL) await deleteNatsNamespace(env.NATS_URL, env.CLEAVE_EVENTS_NAMESPACE as string);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
