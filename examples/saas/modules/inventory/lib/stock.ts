import type { Kysely, Transaction } from 'kysely';
import type { InventoryDb } from '../db/schema.ts';
import { inventory } from '../index.ts';

export function toProduct(row: InventoryDb['products']) {
  return { id: row.id, name: row.name, priceCents: row.price_cents, currency: row.currency, stock: row.stock };
}

/**
 * Takes stock for every line or fails (the caller's transaction rolls back): a
 * conditional decrement per product, in product order so concurrent orders lock rows
 * in the same order and can't deadlock.
 */
export async function takeStock(db: Transaction<InventoryDb>, lines: readonly { productId: string; quantity: number }[]) {
  const taken: { productId: string; quantity: number; priceCents: number; currency: string }[] = [];
  for (const line of [...lines].sort((a, b) => a.productId.localeCompare(b.productId))) {
    const row = await db
      .updateTable('products')
      .set((eb) => ({ stock: eb('stock', '-', line.quantity) }))
      .where('id', '=', line.productId)
      .where('stock', '>=', line.quantity)
      .returning(['price_cents', 'currency'])
      .executeTakeFirst();
    if (!row) {
      const exists = await db.selectFrom('products').select('stock').where('id', '=', line.productId).executeTakeFirst();
      if (!exists) throw inventory.$errors.UNKNOWN_PRODUCT(`no product ${line.productId}`);
      throw inventory.$errors.OUT_OF_STOCK(`${line.productId}: ${line.quantity} wanted, ${exists.stock} in stock`, { productId: line.productId, available: exists.stock });
    }
    taken.push({ ...line, priceCents: row.price_cents, currency: row.currency });
  }
  return taken;
}

export async function giveStockBack(db: Kysely<InventoryDb>, lines: readonly { productId: string; quantity: number }[]) {
  for (const line of [...lines].sort((a, b) => a.productId.localeCompare(b.productId))) {
    await db.updateTable('products').set((eb) => ({ stock: eb('stock', '+', line.quantity) })).where('id', '=', line.productId).execute();
  }
}
