import { defineModule } from '@cleavejs/core';
import { handlers } from './api/handlers.ts';
import { migrations } from './db/migrations.ts';
import type { PaymentsDb } from './db/schema.ts';
import { payments } from './index.ts';

/** The payments module: charges and refunds through a payment-provider adapter. */
export const paymentsModule = defineModule<typeof payments, PaymentsDb>(payments, { migrations, handlers });
