import type { ColumnType } from 'kysely';

export interface PaymentsDb {
  charges: {
    id: string;
    order_id: string;
    amount_cents: number;
    refunded_cents: number;
    currency: string;
    /** `voided`: refunded before any charge; blocks a late one. */
    status: 'captured' | 'refunded' | 'voided';
    provider_ref: string;
    created_at: ColumnType<Date, Date, never>;
  };
}
