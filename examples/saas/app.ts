import { defineApp } from '@cleavejs/core';
import { postWithAuthor } from './gateway/post-with-author.ts';
import { mediaModule } from './modules/media/module.ts';
import { inventoryModule } from './modules/inventory/module.ts';
import { notificationsModule } from './modules/notifications/module.ts';
import { ordersModule } from './modules/orders/module.ts';
import { paymentsModule } from './modules/payments/module.ts';
import { postsModule } from './modules/posts/module.ts';
import { users } from './modules/users/index.ts';
import { usersModule } from './modules/users/module.ts';

/** The reference SaaS backend: its modules and its public edge. */
export const app = defineApp({
  name: 'saas',
  version: '0.1.0',
  modules: [usersModule, postsModule, notificationsModule, inventoryModule, paymentsModule, ordersModule, mediaModule],
  gateway: {
    identity: { signup: users.register, login: users.verifyCredentials },
    aggregates: [postWithAuthor],
  },
});
