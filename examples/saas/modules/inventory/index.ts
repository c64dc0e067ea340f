/**
 * The inventory module's contract: products and their stock, reserved for orders.
 */
import { defineContract, operation } from '@cleavejs/core';
import { z } from 'zod';

export const Product = z.object({
  id: z.string(),
  name: z.string(),
  priceCents: z.number().int(),
  currency: z.string(),
  stock: z.number().int(),
});

export const OrderLine = z.object({ productId: z.string().min(1).max(64), quantity: z.number().int().min(1).max(100) });

export const Reservation = z.object({
  orderId: z.string(),
  lines: z.array(OrderLine.extend({ priceCents: z.number().int() })),
  totalCents: z.number().int(),
  currency: z.string(),
});

export const inventory = defineContract('inventory', {
  operations: {
    listProducts: operation({
      input: z.object({}).strict(),
      output: z.object({ items: z.array(Product) }),
      idempotent: true,
      http: { method: 'GET', path: '/products', auth: 'public', summary: 'Products with price and stock' },
    }),
    getProduct: operation({
      input: z.object({ id: z.string().min(1).max(64) }).strict(),
      output: Product,
      idempotent: true,
      http: { method: 'GET', path: '/products/:id', auth: 'public', summary: 'One product' },
    }),
    reserve: operation({
      description: 'Takes stock for an order, all lines or none. Idempotent by key.',
      input: z.object({ orderId: z.string(), lines: z.array(OrderLine).min(1).max(20) }).strict(),
      output: Reservation,
      idempotent: true,
    }),
    release: operation({
      description: 'Gives an order\'s reserved stock back. Nothing to release is not an error.',
      input: z.object({ orderId: z.string() }).strict(),
      output: z.object({ released: z.boolean() }),
      idempotent: true,
    }),
    commit: operation({
      description: 'Makes an order\'s reservation final (the goods are sold).',
      input: z.object({ orderId: z.string() }).strict(),
      output: z.object({ committed: z.boolean() }),
      idempotent: true,
    }),
  },
  errors: {
    OUT_OF_STOCK: { status: 409, title: 'Not enough stock' },
    UNKNOWN_PRODUCT: { status: 404, title: 'Product not found' },
    MIXED_CURRENCIES: { status: 400, title: 'All lines of an order must have one currency' },
    NOT_RESERVED: { status: 409, title: 'The order has no reservation to commit' },
  },
});
