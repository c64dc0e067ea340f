import { defineTopology } from '@cleavejs/core';

/** Every module in one process (`npm start`). The gateway listens on PORT (default 3000). */
export const monolith = defineTopology({
  name: 'monolith',
  services: {
    app: { modules: ['notes'], roles: ['gateway'] },
  },
});
