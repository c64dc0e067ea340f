/**
 * The payments module's contract (the seed extracts it first, for PCI isolation).
 */
import { defineContract, operation } from '@cleavejs/core';
import { z } from 'zod';

export const Charge = z.object({
  chargeId: z.string(),
  orderId: z.string(),
  amountCents: z.number().int(),
  currency: z.string(),
  status: z.enum(['captured', 'refunded']),
});

export const payments = defineContract('payments', {
  operations: {
    charge: operation({
      description: 'Charges a payment token once per idempotency key; a decline is remembered too.',
      input: z.object({
        orderId: z.string(),
        amountCents: z.number().int().min(1).max(100_000_000),
        currency: z.string().length(3),
        token: z.string().min(1).max(200),
      }).strict(),
      output: Charge,
      idempotent: true,
    }),
    refund: operation({
      description: 'Refunds an order\'s charge in full; never more than was charged. Nothing to refund is not an error.',
      input: z.object({ orderId: z.string() }).strict(),
      output: z.object({ refunded: z.boolean(), amountCents: z.number().int() }),
      idempotent: true,
    }),
  },
  errors: {
    PAYMENT_DECLINED: { status: 402, title: 'The card was declined' },
    PROVIDER_UNAVAILABLE: { status: 503, title: 'The payment provider is unavailable' },
  },
});
