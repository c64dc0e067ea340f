import { defineTopology } from '@cleavejs/core';

/** Every module in one process: the default, and where every app starts. */
export const monolith = defineTopology({
  name: 'monolith',
  services: {
    app: { modules: ['users', 'posts', 'notifications', 'inventory', 'payments', 'orders', 'media'], roles: ['gateway'], port: 3000 },
  },
});
