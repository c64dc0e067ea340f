import { defineSaga } from '@cleavejs/core';
import type { Kysely } from 'kysely';
import { inventory } from '../../inventory/index.ts';
import { payments } from '../../payments/index.ts';
import type { OrdersDb } from '../db/schema.ts';
import { orders } from '../index.ts';
import { CreateOrderSagaInput } from '../types/order.ts';

interface Reserved {
  readonly totalCents: number;
  readonly currency: string;
}

/**
 * The seed's hardest case, without a distributed transaction: reserve inventory →
 * charge payment → confirm the order (commit the stock). A refusal undoes what was
 * done, in reverse: refund the charge, release the reservation.
 */
export const createOrderSaga = defineSaga('createOrder', {
  input: CreateOrderSagaInput,
  // Transient failures (a service restarting) are retried for ~20 s (backoff 0.2 s doubling,
  // capped at 10 s) before the order gives up; refusals end it at once.
  maxStepAttempts: 8,
  steps: [
    {
      name: 'reserveInventory',
      action: (s) => s.call(inventory.reserve, { orderId: s.input.orderId, lines: s.input.lines }),
      compensate: (s) => s.call(inventory.release, { orderId: s.input.orderId }),
    },
    {
      name: 'chargePayment',
      action: (s) => {
        const reserved = s.results.reserveInventory as Reserved;
        return s.call(payments.charge, { orderId: s.input.orderId, amountCents: reserved.totalCents, currency: reserved.currency, token: s.input.paymentToken });
      },
      compensate: (s) => s.call(payments.refund, { orderId: s.input.orderId }),
      // A provider that hangs on one card must not hold the order's stock for a minute:
      // 3 answered attempts of 5 s (the same key, so never charged twice), then the order
      // fails and its stock is released — within 20 s of the first attempt (issue 12).
      // While payments itself is unreachable, the saga's 8 attempts apply.
      timeoutMs: 5_000,
      maxAttempts: 3,
    },
    {
      name: 'confirmOrder',
      action: (s) => s.call(inventory.commit, { orderId: s.input.orderId }),
    },
  ],
  async onCompleted(input, results, tx) {
    const reserved = results.reserveInventory as Reserved;
    await (tx.db as unknown as Kysely<OrdersDb>)
      .updateTable('orders')
      .set({ status: 'completed', total_cents: reserved.totalCents, currency: reserved.currency, updated_at: new Date() })
      .where('id', '=', input.orderId)
      .execute();
    await tx.publish(orders.$events['order.completed.v1'], { orderId: input.orderId, userId: input.userId, totalCents: reserved.totalCents, currency: reserved.currency });
  },
  async onFailed(input, reason, tx) {
    await (tx.db as unknown as Kysely<OrdersDb>).updateTable('orders').set({ status: 'failed', failure_reason: reason, updated_at: new Date() }).where('id', '=', input.orderId).execute();
    await tx.publish(orders.$events['order.failed.v1'], { orderId: input.orderId, userId: input.userId, reason });
  },
});
