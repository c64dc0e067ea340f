import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monolith } from '../topologies/monolith.ts';
import { ApiClient } from './support/client.ts';
import type { Session } from './support/client.ts';
import { cleaveJobs, listJobsNamed } from './support/cleave-jobs.ts';
import type { ListedJob, ShownJob } from './support/cleave-jobs.ts';
import { freePort } from './support/free-port.ts';
import { startSmtpSink } from './support/smtp-sink.ts';
import type { ReceivedMail } from './support/smtp-sink.ts';
import { startSplit } from './support/split-target.ts';
import type { SplitTarget } from './support/split-target.ts';
import { waitFor } from './support/wait-for.ts';

/**
 * The notifications module's background jobs, end to end on the monolith as an operator
 * runs it (`cleave start --topology monolith`, PostgreSQL, a real SMTP server): driven over
 * HTTP, observed through the mailbox and `cleave jobs`.
 *
 * - Welcome emails across an SMTP outage: the app starts pointed at a port where nothing
 *   listens yet; the jobs fail and retry (1 s backoff, doubling); once the server is up each
 *   user gets exactly one welcome email and the jobs end `done`.
 * - The daily digest on its schedule, ticking every 2 s (`DIGEST_CRON`, seconds first):
 *   each user gets one digest with the others' posts and not their own, and later ticks of
 *   the same day send nothing again.
 */

const postgresUrl = process.env.DATABASE_URL;
/** Every 2 s: the digest is testable without waiting for 08:00. */
const DIGEST_CRON = '*/2 * * * * *';

const welcomeTo = (mail: readonly ReceivedMail[], email: string) => mail.filter((m) => m.to.includes(email) && m.messageId.startsWith('<welcome-'));
const digestsTo = (mail: readonly ReceivedMail[], email: string) => mail.filter((m) => m.to.includes(email) && m.messageId.startsWith('<digest-'));

describe.skipIf(!postgresUrl)('notifications jobs on the monolith against a real SMTP server (needs DATABASE_URL)', () => {
  let smtpPort: number;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>> | undefined;
  let target: SplitTarget;
  /** Everyone who signed up in this file: the digest goes to every recipient. */
  const everyone: Session[] = [];
  const mail = () => smtp?.received ?? [];

  beforeAll(async () => {
    // The SMTP server's port, chosen now, listened on only later: the outage.
    smtpPort = await freePort();
    target = await startSplit({ topology: monolith, postgresUrl, env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, DIGEST_CRON } });
  }, Number(process.env.CLEAVE_TEST_BOOT_TIMEOUT_MS ?? 120_000) + 10_000);

  afterAll(async () => {
    await target?.stop();
    await smtp?.stop();
  });

  it('welcome emails wait out an SMTP outage: the jobs retry, then each user gets exactly one', async () => {
    const c = new ApiClient(target.baseUrl);
    const users = [await c.signup('Ada'), await c.signup('Bob'), await c.signup('Cyd')];
    everyone.push(...users);

    // SMTP down: every welcome job has failed, twice at least, and waits for its next attempt.
    await waitFor('each welcome job to fail twice with the SMTP server down', async () => {
      const jobs = await listJobsNamed(target, 'notifications', 'sendWelcomeEmail');
      return jobs.length === users.length && jobs.every((j) => j.status === 'pending' && j.attempts >= 2);
    }, 30_000, 250);
    const retrying = await listJobsNamed(target, 'notifications', 'sendWelcomeEmail');
    for (const job of retrying) {
      expect(job.lastError, 'why the welcome job failed').toMatch(/ECONNREFUSED/);
      expect(job.attempts).toBeLessThan(job.maxAttempts);
    }
    // One job per user, for that user (its payload, as `cleave jobs show` prints it).
    const shown = await Promise.all(retrying.map((j) => cleaveJobs<ShownJob>(target, 'show', j.id)));
    expect(shown.map((j) => j.payload.email).sort()).toEqual(users.map((u) => u.email).sort());

    // The SMTP server comes up on the port the app was given.
    smtp = await startSmtpSink(smtpPort);
    await waitFor('a welcome email to every user', () => users.every((u) => welcomeTo(mail(), u.email).length > 0), 30_000, 100);
    await waitFor('every welcome job to be done', async () => (await listJobsNamed(target, 'notifications', 'sendWelcomeEmail')).every((j) => j.status === 'done'), 30_000, 250);

    // No resend later: let the worker run at least two more digest ticks (it is alive and
    // polling) before counting.
    const doneAt = new Date().toISOString();
    await waitFor('two more digest ticks', async () => (await listJobsNamed(target, 'notifications', 'dailyDigest')).filter((j) => j.status === 'done' && (j.key ?? '') > doneAt).length >= 2, 30_000, 500);
    const jobs = await listJobsNamed(target, 'notifications', 'sendWelcomeEmail');
    expect(jobs).toHaveLength(users.length);
    for (const u of users) {
      const received = welcomeTo(mail(), u.email);
      expect(received, `welcome emails to ${u.name}`).toHaveLength(1);
      expect(received[0]?.subject).toBe(`Welcome, ${u.name}!`);
      // The job's key is the user.created.v1 event, which names the Message-ID.
      const job = shown.find((j) => j.payload.email === u.email)!;
      expect(received[0]?.messageId).toBe(`<welcome-${job.key}@cleave.example>`);
    }
  }, 120_000);

  it('the digest on its schedule: one per user per day, with the others\' posts and not their own', async () => {
    if (!smtp) throw new Error('the SMTP server did not start (the welcome test failed first)');
    const c = new ApiClient(target.baseUrl);
    const authors = [await c.signup('Ann'), await c.signup('Ben')];
    everyone.push(...authors);
    // A digest goes to recipients, whom notifications records with the welcome email's job.
    await waitFor('welcome emails to the authors', () => authors.every((u) => welcomeTo(mail(), u.email).length > 0), 30_000, 100);

    // One post each. Whether a tick falls between the two posts or not, each author's
    // digest lists the other's post: the first tick after Ann's post sends Ben his (Ann has
    // no one else's yet), the first after Ben's sends Ann hers.
    const titles = new Map<string, string>();
    for (const author of authors) {
      const title = `post-by-${author.name.toLowerCase()}-${randomUUID().slice(0, 8)}`;
      const res = await c.request('/api/v1/posts', { token: author.accessToken, body: { title, body: 'for the digest' } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      titles.set(author.email, title);
    }
    try {
      await waitFor('a digest to every user', () => everyone.every((u) => digestsTo(mail(), u.email).length > 0), 30_000, 100);
    } catch (err) {
      const jobs = await cleaveJobs<ListedJob[]>(target, 'list', '--module', 'notifications');
      throw new Error(`${(err as Error).message}; digests to ${everyone.filter((u) => digestsTo(mail(), u.email).length > 0).map((u) => u.name).join(', ') || 'no one'}; ` +
        `jobs: ${JSON.stringify(jobs.filter((j) => j.name !== 'dailyDigest' || j.status !== 'done').slice(0, 10))}`, { cause: err });
    }
    const [ann, ben] = authors as [Session, Session];
    for (const [me, other] of [[ann, ben], [ben, ann]] as const) {
      const [digest] = digestsTo(mail(), me.email);
      expect(digest?.subject).toMatch(/^1 new post on \d{4}-\d{2}-\d{2}$/);
      expect(digest?.raw, `${me.name}'s digest lists ${other.name}'s post`).toContain(titles.get(other.email));
      expect(digest?.raw, `${me.name}'s digest leaves out their own post`).not.toContain(titles.get(me.email));
    }
    // The welcome test's users posted nothing: their digests list the authors' posts only.
    for (const u of everyone.filter((x) => !authors.includes(x))) {
      const [digest] = digestsTo(mail(), u.email);
      expect(digest?.raw).toContain(titles.get(ann.email));
    }

    // Later ticks the same day: the posts are still of the last 24 hours, so each tick
    // builds the same digests again, but the job key is day:user and enqueues nothing new.
    const day = /^<digest-(\d{4}-\d{2}-\d{2})-/.exec(digestsTo(mail(), ann.email)[0]!.messageId)![1]!;
    const sentAt = new Date().toISOString();
    let later: ListedJob[] = [];
    await waitFor('two more digest ticks', async () => (later = (await listJobsNamed(target, 'notifications', 'dailyDigest')).filter((j) => j.status === 'done' && (j.key ?? '') > sentAt)).length >= 2, 30_000, 500);
    // Past midnight UTC a tick is another day's, and its digests are new: leave those out.
    const nextDays = new Set(later.map((j) => j.key!.slice(0, 10)).filter((d) => d !== day));
    const digestJobs = await listJobsNamed(target, 'notifications', 'sendDigest');
    const ofTheDay = digestJobs.filter((j) => ![...nextDays].some((d) => j.key?.startsWith(`${d}:`)));
    expect(ofTheDay.map((j) => j.key).sort(), 'one digest job per user and day').toEqual(everyone.map((u) => `${day}:${u.userId}`).sort());
    expect(ofTheDay.every((j) => j.status === 'done')).toBe(true);
    for (const u of everyone) {
      expect(digestsTo(mail(), u.email).filter((m) => m.messageId === `<digest-${day}-${u.email}@cleave.example>`), `digests of ${day} to ${u.name}`).toHaveLength(1);
    }
  }, 120_000);
});
