import { defineModule } from '@cleavejs/core';
import { inventory } from '../inventory/index.ts';
import { payments } from '../payments/index.ts';
import { handlers } from './api/handlers.ts';
import { migrations } from './db/migrations.ts';
import type { OrdersDb } from './db/schema.ts';
import { orders } from './index.ts';
import { createOrderSaga } from './lib/create-order-saga.ts';

/** The orders module: owns the createOrder saga across inventory and payments. */
export const ordersModule = defineModule<typeof orders, OrdersDb>(orders, {
  dependsOn: [inventory, payments],
  migrations,
  handlers,
  sagas: [createOrderSaga],
});
