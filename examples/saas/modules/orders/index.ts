/**
 * The orders module's contract: orders, placed through a saga across inventory and payments.
 */
import { defineContract, event, operation } from '@cleavejs/core';
import { z } from 'zod';
import { OrderLine } from '../inventory/index.ts';
import { Order, OrderStatus } from './types/order.ts';

export { Order } from './types/order.ts';

export const orders = defineContract('orders', {
  operations: {
    createOrder: operation({
      description: 'Places an order. Needs an Idempotency-Key header: the same key returns the same order.',
      input: z.object({ items: z.array(OrderLine).min(1).max(20), paymentToken: z.string().min(1).max(200) }).strict(),
      output: z.object({ orderId: z.string(), status: OrderStatus }),
      http: { method: 'POST', path: '/orders', status: 202, summary: 'Place an order (202: the saga runs in the background)' },
    }),
    getOrder: operation({
      input: z.object({ id: z.string().min(1).max(64) }).strict(),
      output: Order,
      idempotent: true,
      http: { method: 'GET', path: '/orders/:id', summary: 'An order of the signed-in user, with its saga steps' },
    }),
    listOrders: operation({
      input: z.object({}).strict(),
      output: z.object({ items: z.array(Order) }),
      idempotent: true,
      http: { method: 'GET', path: '/orders', summary: 'The signed-in user\'s orders, newest first' },
    }),
  },
  events: {
    'order.completed.v1': event(z.object({ orderId: z.string(), userId: z.string(), totalCents: z.number().int(), currency: z.string() }), { aggregateKey: (p) => p.orderId }),
    'order.failed.v1': event(z.object({ orderId: z.string(), userId: z.string(), reason: z.string() }), { aggregateKey: (p) => p.orderId }),
  },
  errors: {
    IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: 'Send an Idempotency-Key header with every new order' },
    NOT_FOUND: { status: 404, title: 'Order not found' },
  },
});
