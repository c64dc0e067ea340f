import type { Handlers } from '@cleavejs/core';
import type { NotificationsDb } from '../db/schema.ts';
import type { notifications } from '../index.ts';

export const handlers: Handlers<typeof notifications, NotificationsDb> = {
  async listSentEmails({ to, limit }, ctx) {
    let query = ctx.db.selectFrom('sent_emails').selectAll().orderBy('sent_at', 'desc').limit(limit);
    if (to !== undefined) query = query.where('to_address', '=', to.trim().toLowerCase());
    const rows = await query.execute();
    return {
      items: rows.map((r) => ({ id: r.id, to: r.to_address, subject: r.subject, text: r.text, causedBy: r.caused_by, sentAt: r.sent_at.toISOString() })),
    };
  },
};
