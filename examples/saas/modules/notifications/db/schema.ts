import type { ColumnType } from 'kysely';

export interface NotificationsDb {
  sent_emails: {
    id: string;
    to_address: string;
    subject: string;
    text: string;
    /** Unique: the inbox already makes handling exactly-once; this makes it visible. */
    caused_by: string;
    sent_at: ColumnType<Date, Date, never>;
  };
  recipients: {
    user_id: string;
    email: string;
    name: string;
  };
}
