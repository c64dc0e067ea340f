import { randomUUID } from 'node:crypto';
import { errors } from '@cleavejs/core';
import type { Handlers, ModuleContext } from '@cleavejs/core';
import type { Kysely, Selectable } from 'kysely';
import type { OrdersDb } from '../db/schema.ts';
import { orders } from '../index.ts';
import { createOrderSaga } from '../lib/create-order-saga.ts';
import type { Order } from '../types/order.ts';

function signedIn(ctx: ModuleContext<OrdersDb>): string {
  if (ctx.user === undefined) throw errors.UNAUTHENTICATED('orders act for a signed-in user');
  return ctx.user.id;
}

async function toOrder(db: Kysely<OrdersDb>, row: Selectable<OrdersDb['orders']>): Promise<Order> {
  const steps = await db.selectFrom('saga_steps').select(['step', 'status', 'attempts', 'error']).where('saga_id', '=', row.id).orderBy('position').execute();
  return {
    id: row.id,
    status: row.status,
    lines: row.lines,
    totalCents: row.total_cents,
    currency: row.currency,
    failureReason: row.failure_reason,
    createdAt: row.created_at.toISOString(),
    steps: steps.map((s) => ({ name: s.step, status: s.status, attempts: s.attempts, error: s.error })),
  };
}

export const handlers: Handlers<typeof orders, OrdersDb> = {
  createOrder({ items, paymentToken }, ctx) {
    const userId = signedIn(ctx);
    if (ctx.idempotencyKey === undefined) throw orders.$errors.IDEMPOTENCY_KEY_REQUIRED();
    // The order row and its saga are written together, once per key.
    return ctx.idempotent(async (tx) => {
      const orderId = randomUUID();
      const now = new Date();
      await tx.db.insertInto('orders').values({ id: orderId, user_id: userId, status: 'pending', lines: JSON.stringify(items), total_cents: null, currency: null, failure_reason: null, created_at: now, updated_at: now }).execute();
      await tx.startSaga(createOrderSaga, { orderId, userId, lines: items, paymentToken }, { id: orderId });
      return { orderId, status: 'pending' as const };
    });
  },

  async getOrder({ id }, ctx) {
    const row = await ctx.db.selectFrom('orders').selectAll().where('id', '=', id).where('user_id', '=', signedIn(ctx)).executeTakeFirst();
    // Someone else's order is "not found": its existence is not theirs to learn.
    if (!row) throw orders.$errors.NOT_FOUND(`no order ${id}`);
    return toOrder(ctx.db, row);
  },

  async listOrders(_input, ctx) {
    const rows = await ctx.db.selectFrom('orders').selectAll().where('user_id', '=', signedIn(ctx)).orderBy('created_at', 'desc').limit(100).execute();
    return { items: await Promise.all(rows.map((row) => toOrder(ctx.db, row))) };
  },
};
