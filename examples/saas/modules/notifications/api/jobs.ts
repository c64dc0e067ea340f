import { defineJob, defineSchedule } from '@cleavejs/core';
import { z } from 'zod';
import { posts } from '../../posts/index.ts';
import type { NotificationsDb } from '../db/schema.ts';
import { digestEmail } from '../lib/digest-email.ts';
import type { DigestPost } from '../lib/digest-email.ts';
import { mailer } from '../lib/mailer-instance.ts';
import { recordSent } from '../lib/record-email.ts';
import { welcomeEmail } from '../lib/welcome-email.ts';

const WelcomePayload = z.object({ email: z.string(), name: z.string(), eventId: z.string() });

/**
 * The welcome email, sent by a job rather than inside the event handler's transaction:
 * while the SMTP server is down the job retries with backoff (for about ten minutes),
 * and the signup's event is handled at once. Recorded after the send; a crash between
 * the two sends again, with the same Message-ID.
 */
export const sendWelcomeEmail = defineJob<typeof WelcomePayload, NotificationsDb>('sendWelcomeEmail', {
  payload: WelcomePayload,
  maxAttempts: 12,
  backoffMs: 1_000,
  maxBackoffMs: 60_000,
  timeoutMs: 20_000,
  handler: async ({ email, name, eventId }, ctx) => {
    const message = welcomeEmail({ email, name }, eventId);
    await mailer().send(message);
    await recordSent(ctx.db, message, eventId);
  },
});

const DigestPayload = z.object({
  userId: z.string(),
  day: z.string(),
  posts: z.array(z.object({ id: z.string(), title: z.string(), authorName: z.string() })),
});

/** One user's digest of one day. */
export const sendDigest = defineJob<typeof DigestPayload, NotificationsDb>('sendDigest', {
  payload: DigestPayload,
  maxAttempts: 8,
  timeoutMs: 20_000,
  handler: async ({ userId, day, posts: list }, ctx) => {
    const recipient = await ctx.db.selectFrom('recipients').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!recipient) return;
    const message = digestEmail(recipient, day, list);
    await mailer().send(message);
    await recordSent(ctx.db, message, `digest:${day}:${userId}`);
  },
});

const DIGEST_MAX_POSTS = 20;

/**
 * When the digest goes out: every morning at 08:00 UTC unless `DIGEST_CRON` says otherwise
 * (a 6-field expression ticks in seconds, so a test or a demo need not wait for 08:00).
 * Read when the module is loaded: a schedule is part of the module's definition.
 */
const DIGEST_CRON = process.env.DIGEST_CRON || '0 8 * * *';

/**
 * Every morning at 08:00 UTC: the posts of the last 24 hours, one digest job per user
 * (their own posts left out), each keyed by day and user so a second run of the tick
 * enqueues nothing new, nor does a later tick of the same day.
 */
export const dailyDigest = defineSchedule<NotificationsDb>('dailyDigest', {
  cron: DIGEST_CRON,
  timeZone: 'UTC',
  timeoutMs: 60_000,
  handler: async ({ tick }, ctx) => {
    const until = new Date(tick);
    const since = new Date(until.getTime() - 24 * 3600_000);
    const recent: (DigestPost & { authorId: string })[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await ctx.call(posts.listPosts, { limit: 100, ...(cursor ? { cursor } : {}) });
      const inWindow = page.items.filter((p) => new Date(p.createdAt) > since && new Date(p.createdAt) <= until);
      recent.push(...inWindow.map((p) => ({ id: p.id, title: p.title, authorName: p.authorName, authorId: p.authorId })));
      const oldest = page.items.at(-1);
      if (page.nextCursor === null || oldest === undefined || new Date(oldest.createdAt) <= since) break;
      cursor = page.nextCursor;
    }
    if (recent.length === 0) return;
    const day = tick.slice(0, 10);
    const users = await ctx.db.selectFrom('recipients').select('user_id').execute();
    await ctx.transaction(async (tx) => {
      for (const { user_id } of users) {
        const theirs = recent.filter((p) => p.authorId !== user_id).slice(0, DIGEST_MAX_POSTS).map(({ id, title, authorName }) => ({ id, title, authorName }));
        if (theirs.length > 0) await tx.enqueue(sendDigest, { userId: user_id, day, posts: theirs }, { key: `${day}:${user_id}` });
      }
    });
  },
});
