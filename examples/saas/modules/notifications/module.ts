import { randomUUID } from 'node:crypto';
import { defineModule } from '@cleavejs/core';
import { users } from '../users/index.ts';
import { handlers } from './api/handlers.ts';
import { migrations } from './db/migrations.ts';
import type { NotificationsDb } from './db/schema.ts';
import { notifications } from './index.ts';
import { mailerFromEnv } from './lib/mailer.ts';
import type { Mailer } from './lib/mailer.ts';
import { welcomeEmail } from './lib/welcome-email.ts';

// Made on first use, so the environment (SMTP_URL) is read when the service runs, not on import.
let mailer: Mailer | undefined;

/**
 * The notifications module: a welcome email for every new user. The email is recorded
 * in `sent_emails` in the same transaction that marks the event handled, so it is
 * recorded exactly once. Over SMTP, the send happens inside that transaction: a crash
 * after sending and before commit resends it, with the same Message-ID.
 */
export const notificationsModule = defineModule<typeof notifications, NotificationsDb>(notifications, {
  dependsOn: [users],
  migrations,
  handlers,
  subscriptions: (on) => [
    on(users.$events['user.created.v1'], async ({ email, name }, tx) => {
      const message = welcomeEmail({ email, name }, tx.event.id);
      await tx.db
        .insertInto('sent_emails')
        .values({ id: randomUUID(), to_address: message.to, subject: message.subject, text: message.text, caused_by: tx.event.id, sent_at: new Date() })
        .execute();
      await (mailer ??= mailerFromEnv()).send(message);
    }),
  ],
});
