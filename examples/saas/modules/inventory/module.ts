import { defineModule } from '@cleavejs/core';
import { handlers } from './api/handlers.ts';
import { migrations } from './db/migrations.ts';
import type { InventoryDb } from './db/schema.ts';
import { inventory } from './index.ts';

/** The inventory module: products, stock, and reservations for orders. */
export const inventoryModule = defineModule<typeof inventory, InventoryDb>(inventory, { migrations, handlers });
