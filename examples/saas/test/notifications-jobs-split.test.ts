import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSpan } from '@cleavejs/core';
import { ApiClient } from './support/client.ts';
import { listJobsNamed } from './support/cleave-jobs.ts';
import { freePort } from './support/free-port.ts';
import { startSmtpSink } from './support/smtp-sink.ts';
import { startSplit } from './support/split-target.ts';
import type { SplitTarget } from './support/split-target.ts';
import { waitFor } from './support/wait-for.ts';

/**
 * Welcome emails across an SMTP outage in the split topology, where notifications' jobs
 * run on the `worker` service (not in notifications): the app starts pointed at an SMTP
 * port where nothing listens yet, the jobs retry, and once the server is up each user gets
 * exactly one email. `cleave trace` of the signup shows every attempt, all on `worker`.
 * (Scheduled posts on the split topology: the posts e2e suite, run by split-postgres.)
 */

const postgresUrl = process.env.DATABASE_URL;
const repoRoot = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);
const USERS = 2;

// Once per jobs backend: the table worker (polling notifications' table from the worker
// service) and BullMQ (REDIS_URL: notifications' relay hands the rows to Redis).
const backends = [
  { backend: 'table worker', env: {}, skip: !postgresUrl },
  { backend: 'BullMQ', env: { CLEAVE_JOBS: 'bullmq', REDIS_URL: process.env.REDIS_URL ?? '', CLEAVE_JOBS_NAMESPACE: `saas-split-${randomUUID().slice(0, 8)}` }, skip: !postgresUrl || !process.env.REDIS_URL },
];

describe.each(backends)('welcome-email jobs on the split topology\'s worker across an SMTP outage, $backend (needs DATABASE_URL; BullMQ: REDIS_URL)', ({ env, skip }) => {
  let smtpPort: number;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>> | undefined;
  let target: SplitTarget;

  beforeAll(async () => {
    if (skip) return;
    smtpPort = await freePort();
    target = await startSplit({ postgresUrl, env: { ...env, SMTP_URL: `smtp://127.0.0.1:${smtpPort}` } });
  }, Number(process.env.CLEAVE_TEST_BOOT_TIMEOUT_MS ?? 120_000) + 10_000);

  afterAll(async () => {
    await target?.stop();
    await smtp?.stop();
  });

  const jobSpans = async (traceId: string) => {
    const { stdout } = await run(process.execPath, [join(repoRoot, 'packages/cleave/bin/cleave.mjs'), 'trace', traceId, '--json', '--url', target.baseUrl], { cwd: repoRoot });
    return (JSON.parse(stdout) as { spans: StoredSpan[] }).spans.filter((s) => s.name === 'job sendWelcomeEmail');
  };

  it.skipIf(skip)('the worker retries while SMTP is down; then each user gets exactly one welcome email', async () => {
    const c = new ApiClient(target.baseUrl);
    const users: { email: string; name: string; traceId: string }[] = [];
    for (let i = 0; i < USERS; i++) {
      const user = { email: `u-${randomUUID()}@example.com`, name: `Split ${i}` };
      const res = await c.request('/api/v1/auth/signup', { body: { ...user, password: `pw-${randomUUID()}` } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      users.push({ ...user, traceId: res.headers.get('x-trace-id') as string });
    }

    await waitFor('each welcome job to fail twice with the SMTP server down', async () => {
      const jobs = await listJobsNamed(target, 'notifications', 'sendWelcomeEmail');
      return jobs.length === USERS && jobs.every((j) => j.status === 'pending' && j.attempts >= 2);
    }, 60_000, 250);
    for (const job of await listJobsNamed(target, 'notifications', 'sendWelcomeEmail')) expect(job.lastError).toMatch(/ECONNREFUSED/);

    smtp = await startSmtpSink(smtpPort);
    const received = (email: string) => (smtp?.received ?? []).filter((m) => m.to.includes(email));
    await waitFor('a welcome email to every user', () => users.every((u) => received(u.email).length > 0), 30_000, 100);
    await waitFor('every welcome job to be done', async () => (await listJobsNamed(target, 'notifications', 'sendWelcomeEmail')).every((j) => j.status === 'done'), 30_000, 250);
    const jobs = await listJobsNamed(target, 'notifications', 'sendWelcomeEmail');
    expect(jobs).toHaveLength(USERS);

    // Each signup's trace holds one span per attempt of its welcome job: the failed ones,
    // then the one that sent, every one of them on the worker service.
    for (const u of users) {
      const job = jobs.find((j) => received(u.email).some((m) => m.messageId === `<welcome-${j.key}@cleave.example>`));
      expect(job, `the job whose Message-ID ${u.name} received`).toBeDefined();
      let spans: StoredSpan[] = [];
      await waitFor(`the ${job!.attempts} attempts of ${u.name}'s welcome job in the trace`, async () => (spans = await jobSpans(u.traceId)).length >= job!.attempts, 30_000, 500);
      expect(spans).toHaveLength(job!.attempts);
      expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['worker']));
      const byStart = [...spans].sort((a, b) => a.startMs - b.startMs);
      expect(byStart.map((s) => s.status)).toEqual([...Array(job!.attempts - 1).fill('error'), 'ok']);
      expect(received(u.email), `welcome emails to ${u.name}`).toHaveLength(1);
    }
  }, 120_000);
});
