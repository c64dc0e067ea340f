import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { NotificationsDb } from '../db/schema.ts';
import type { Email } from './mailer.ts';

/** Records an email as sent, once per cause (a job run again after a crash records nothing new). */
export async function recordSent(db: Kysely<NotificationsDb>, message: Email, causedBy: string): Promise<void> {
  await db
    .insertInto('sent_emails')
    .values({ id: randomUUID(), to_address: message.to, subject: message.subject, text: message.text, caused_by: causedBy, sent_at: new Date() })
    .onConflict((oc) => oc.column('caused_by').doNothing())
    .execute();
}
