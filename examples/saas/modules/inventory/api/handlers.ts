import type { Handlers } from '@cleavejs/core';
import type { InventoryDb } from '../db/schema.ts';
import { inventory } from '../index.ts';
import { giveStockBack, takeStock, toProduct } from '../lib/stock.ts';

export const handlers: Handlers<typeof inventory, InventoryDb> = {
  async listProducts(_input, ctx) {
    return { items: (await ctx.db.selectFrom('products').selectAll().orderBy('id').execute()).map(toProduct) };
  },

  async getProduct({ id }, ctx) {
    const row = await ctx.db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw inventory.$errors.UNKNOWN_PRODUCT(`no product ${id}`);
    return toProduct(row);
  },

  reserve({ orderId, lines }, ctx) {
    return ctx.idempotent(async (tx) => {
      const taken = await takeStock(tx.db, lines);
      const currency = taken[0]?.currency ?? 'EUR';
      if (taken.some((t) => t.currency !== currency)) throw inventory.$errors.MIXED_CURRENCIES();
      const reserved = taken.map(({ productId, quantity, priceCents }) => ({ productId, quantity, priceCents }));
      await tx.db.insertInto('reservations').values({ order_id: orderId, lines: JSON.stringify(reserved), status: 'reserved', updated_at: new Date() }).execute();
      return { orderId, lines: reserved, totalCents: reserved.reduce((sum, l) => sum + l.priceCents * l.quantity, 0), currency };
    });
  },

  release({ orderId }, ctx) {
    return ctx.transaction(async (tx) => {
      const reservation = await tx.db.selectFrom('reservations').selectAll().where('order_id', '=', orderId).forUpdate().executeTakeFirst();
      if (reservation?.status !== 'reserved') return { released: false };
      await giveStockBack(tx.db, reservation.lines);
      await tx.db.updateTable('reservations').set({ status: 'released', updated_at: new Date() }).where('order_id', '=', orderId).execute();
      return { released: true };
    });
  },

  commit({ orderId }, ctx) {
    return ctx.transaction(async (tx) => {
      const reservation = await tx.db.selectFrom('reservations').select('status').where('order_id', '=', orderId).forUpdate().executeTakeFirst();
      if (reservation?.status === 'committed') return { committed: true };
      if (reservation?.status !== 'reserved') throw inventory.$errors.NOT_RESERVED(`order ${orderId} has no open reservation`);
      await tx.db.updateTable('reservations').set({ status: 'committed', updated_at: new Date() }).where('order_id', '=', orderId).execute();
      return { committed: true };
    });
  },
};
