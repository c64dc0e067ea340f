import { z } from 'zod';
import { OrderLine } from '../../inventory/index.ts';

export const OrderStatus = z.enum(['pending', 'completed', 'failed']);

export const OrderStep = z.object({
  name: z.string(),
  status: z.string(),
  attempts: z.number().int(),
  error: z.string().nullable(),
});

export const Order = z.object({
  id: z.string(),
  status: OrderStatus,
  lines: z.array(OrderLine),
  totalCents: z.number().int().nullable(),
  currency: z.string().nullable(),
  failureReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  /** The saga's steps: reserve inventory → charge payment → confirm order. */
  steps: z.array(OrderStep),
});
export type Order = z.infer<typeof Order>;

export const CreateOrderSagaInput = z.object({
  orderId: z.string(),
  userId: z.string(),
  lines: z.array(OrderLine),
  paymentToken: z.string(),
});
