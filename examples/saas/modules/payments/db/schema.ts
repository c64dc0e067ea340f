import type { ColumnType } from 'kysely';

export interface PaymentsDb {
  charges: {
    id: string;
    order_id: string;
    amount_cents: number;
    refunded_cents: number;
    currency: string;
    status: 'captured' | 'refunded';
    provider_ref: string;
    created_at: ColumnType<Date, Date, never>;
  };
}
