import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { settingsFromEnv, startService } from '../../src/index.ts';
import { newTraceContext } from '../../src/telemetry/trace-context.ts';
import { createTestDatabase } from '../../src/testing/test-database.ts';
import { waitFor } from '../event-transports/wait-for.ts';
import { jobsApp, oneService, recordJob } from './jobs-app.ts';
import { describeJobsOnPostgres } from './jobs-suite.ts';

const redisUrl = process.env.REDIS_URL;
// A namespace of this run's own: other runs' queues on the same Redis stay apart.
const namespace = `jobs-test-${randomUUID().slice(0, 8)}`;
const REDELIVER_AFTER_MS = 1_500;

// CLEAVE_JOBS=bullmq: the table is the outbox, BullMQ on Redis delivers (ADR 0023).
describeJobsOnPostgres(
  'BullMQ',
  () => ({ CLEAVE_JOBS: 'bullmq', REDIS_URL: redisUrl as string, CLEAVE_JOBS_NAMESPACE: namespace, CLEAVE_JOBS_REDELIVER_AFTER_MS: String(REDELIVER_AFTER_MS) }),
  ({ work, db, jobOf }) => {
    it('hands a job over again when Redis lost its delivery (restarted without its data), and it runs once', async () => {
      const id = await work().transaction(newTraceContext(), (tx) => tx.enqueue(recordJob, { text: 'lost by redis' }, { delayMs: 1_000 }));
      const handedOver = await waitFor(async () => (await jobOf(id))?.relayed_as, 'the job to be handed to Redis');
      // What a Redis restart without appendonly leaves: none of the queue's keys.
      const redis = new Redis(redisUrl as string);
      try {
        const keys = await redis.keys(`cleave-jobs:${namespace}.work.record:*`);
        expect(keys.length).toBeGreaterThan(0);
        await redis.del(...keys);
        expect(await redis.exists(`cleave-jobs:${namespace}.work.record:${handedOver}`)).toBe(0);
      } finally {
        redis.disconnect();
      }
      await waitFor(async () => (await jobOf(id))?.status === 'done', 'the job to run after all', 30_000);
      const row = (await jobOf(id))!;
      // Handed over again under the same delivery id, once overdue (due + REDELIVER_AFTER_MS).
      expect(row.relayed_as).toBe(handedOver);
      expect(new Date(row.started_at as Date).getTime() - new Date(row.run_at).getTime()).toBeGreaterThanOrEqual(REDELIVER_AFTER_MS);
      expect(row.attempts).toBe(1);
      expect(await db().selectFrom('effects').select('text').where('job_id', '=', id).execute()).toEqual([{ text: 'lost by redis' }]);
    }, 60_000);
  },
  redisUrl !== undefined,
);

describe.skipIf(!process.env.DATABASE_URL)('CLEAVE_JOBS=bullmq at boot', () => {
  const boot = (url: string, env: Record<string, string>) =>
    startService({ app: jobsApp, topology: oneService, listen: false, settings: settingsFromEnv({ DATABASE_URL: url, LOG_LEVEL: 'silent', CLEAVE_JOBS: 'bullmq', ...env }) });

  it('refuses to start without REDIS_URL, or with a Redis it cannot reach, naming the setting', async () => {
    const database = await createTestDatabase(process.env.DATABASE_URL as string, 'cleave_jobs_boot');
    try {
      await expect(boot(database.url, {})).rejects.toMatchObject({ code: 'cleave.config.JOBS_BACKEND_UNSUITABLE', message: expect.stringContaining('needs REDIS_URL') });
      await expect(boot(database.url, { REDIS_URL: 'redis://127.0.0.1:1' })).rejects.toMatchObject({ code: 'cleave.config.JOBS_BACKEND_UNSUITABLE', message: expect.stringContaining('unreachable') });
    } finally {
      await database.drop();
    }
  }, 30_000);

  it('refuses an unknown backend', () => {
    expect(() => settingsFromEnv({ CLEAVE_JOBS: 'sqs' })).toThrow('CLEAVE_JOBS must be database or bullmq (got "sqs")');
  });
});
