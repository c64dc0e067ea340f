import { randomUUID } from 'node:crypto';
import type { Handlers } from '@cleavejs/core';
import type { PaymentsDb } from '../db/schema.ts';
import type { payments } from '../index.ts';
import { simulatedProvider } from '../lib/payment-provider.ts';

const provider = simulatedProvider();

export const handlers: Handlers<typeof payments, PaymentsDb> = {
  charge({ orderId, amountCents, currency, token }, ctx) {
    // One line makes it idempotent: the first outcome for this key is stored and replayed.
    return ctx.idempotent(async (tx) => {
      const signal = AbortSignal.timeout(Math.max(0, ctx.deadline - Date.now()));
      const { providerRef } = await provider.charge({ token, amountCents, currency, idempotencyKey: ctx.idempotencyKey ?? orderId }, signal);
      const row = await tx.db
        .insertInto('charges')
        .values({ id: randomUUID(), order_id: orderId, amount_cents: amountCents, currency, status: 'captured', refunded_cents: 0, provider_ref: providerRef, created_at: new Date() })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { chargeId: row.id, orderId, amountCents, currency, status: 'captured' as const };
    });
  },

  refund({ orderId }, ctx) {
    return ctx.transaction(async (tx) => {
      const charge = await tx.db.selectFrom('charges').selectAll().where('order_id', '=', orderId).forUpdate().executeTakeFirst();
      if (!charge) {
        // Nothing charged (yet): leave a void marker, so a charge of this order still in
        // flight can't commit after its refund was decided (one charge row per order).
        await tx.db
          .insertInto('charges')
          .values({ id: randomUUID(), order_id: orderId, amount_cents: 0, refunded_cents: 0, currency: 'XXX', status: 'voided', provider_ref: 'none', created_at: new Date() })
          .onConflict((oc) => oc.column('order_id').doNothing())
          .execute();
        return { refunded: false, amountCents: 0 };
      }
      if (charge.status === 'voided') return { refunded: false, amountCents: 0 };
      if (charge.status === 'captured') {
        await tx.db.updateTable('charges').set({ status: 'refunded', refunded_cents: charge.amount_cents }).where('id', '=', charge.id).execute();
      }
      return { refunded: true, amountCents: charge.amount_cents };
    });
  },
};
