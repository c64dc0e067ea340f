import type { ColumnType } from 'kysely';

export interface OrdersDb {
  orders: {
    id: string;
    user_id: string;
    status: 'pending' | 'completed' | 'failed';
    lines: ColumnType<{ productId: string; quantity: number }[], string, string>;
    total_cents: number | null;
    currency: string | null;
    failure_reason: string | null;
    created_at: ColumnType<Date, Date, never>;
    updated_at: Date;
  };
  saga_steps: { saga_id: string; step: string; position: number; status: string; attempts: number; error: string | null };
}
