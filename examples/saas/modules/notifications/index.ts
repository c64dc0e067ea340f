/**
 * The notifications module's contract (the seed's Email Service): it reacts to users'
 * events and sends email. Other modules only read what it sent.
 */
import { defineContract, operation } from '@cleavejs/core';
import { z } from 'zod';

export const SentEmail = z.object({
  id: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  /** The event that caused it: one email per event, whatever the redeliveries. */
  causedBy: z.string(),
  sentAt: z.iso.datetime(),
});

export const notifications = defineContract('notifications', {
  operations: {
    listSentEmails: operation({
      description: 'Emails sent, newest first (for support tools and tests).',
      input: z.object({ to: z.string().max(254).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }).strict(),
      output: z.object({ items: z.array(SentEmail) }),
      idempotent: true,
    }),
  },
});
