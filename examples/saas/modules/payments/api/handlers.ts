import { randomUUID } from 'node:crypto';
import type { Handlers } from '@cleavejs/core';
import type { PaymentsDb } from '../db/schema.ts';
import type { payments } from '../index.ts';
import { simulatedProvider } from '../lib/payment-provider.ts';

const provider = simulatedProvider();

export const handlers: Handlers<typeof payments, PaymentsDb> = {
  async charge({ orderId, amountCents, currency, token }, ctx) {
    // The provider dedupes by the idempotency key (as Stripe does), so it is asked before
    // the transaction opens: a provider that hangs until the deadline holds no pooled
    // connection meanwhile, and payments keeps answering refunds and other charges.
    const idempotencyKey = ctx.idempotencyKey ?? orderId;
    const signal = AbortSignal.timeout(Math.max(0, ctx.deadline - Date.now()));
    const charged = await provider.charge({ token, amountCents, currency, idempotencyKey }, signal).then(
      (ok) => ({ ok }),
      (err: unknown) => ({ err }),
    );
    // One line makes it idempotent: the first outcome for this key (a charge, or a typed
    // refusal such as a declined card) is stored and replayed; a failure (5xx) is not.
    return ctx.idempotent(async (tx) => {
      if ('err' in charged) throw charged.err;
      const row = await tx.db
        .insertInto('charges')
        .values({ id: randomUUID(), order_id: orderId, amount_cents: amountCents, currency, status: 'captured', refunded_cents: 0, provider_ref: charged.ok.providerRef, created_at: new Date() })
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
