import { defineModule } from '@cleavejs/core';
import { posts } from '../posts/index.ts';
import { users } from '../users/index.ts';
import { handlers } from './api/handlers.ts';
import { dailyDigest, sendDigest, sendWelcomeEmail } from './api/jobs.ts';
import { migrations } from './db/migrations.ts';
import type { NotificationsDb } from './db/schema.ts';
import { notifications } from './index.ts';

/**
 * The notifications module: a welcome email for every new user, and a daily digest of
 * new posts. The user.created.v1 handler records the recipient and enqueues the welcome
 * email in the transaction that marks the event handled (once per event, whatever the
 * redeliveries); the email itself is a job, retried while the SMTP server is down. In
 * the split topology these jobs run on the `worker` service, with no change here.
 */
export const notificationsModule = defineModule<typeof notifications, NotificationsDb>(notifications, {
  dependsOn: [users, posts],
  migrations,
  handlers,
  jobs: [sendWelcomeEmail, sendDigest],
  schedules: [dailyDigest],
  subscriptions: (on) => [
    on(users.$events['user.created.v1'], async ({ userId, email, name }, tx) => {
      await tx.db.insertInto('recipients').values({ user_id: userId, email, name }).onConflict((oc) => oc.column('user_id').doUpdateSet({ email, name })).execute();
      await tx.enqueue(sendWelcomeEmail, { email, name, eventId: tx.event.id }, { key: tx.event.id });
    }),
  ],
});
