import type { ColumnType } from 'kysely';

export interface InventoryDb {
  products: { id: string; name: string; price_cents: number; currency: string; stock: number };
  reservations: {
    order_id: string;
    lines: ColumnType<{ productId: string; quantity: number; priceCents: number }[], string, string>;
    status: 'reserved' | 'released' | 'committed';
    updated_at: Date;
  };
}
