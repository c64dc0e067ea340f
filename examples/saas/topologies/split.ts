import { defineTopology } from '@cleavejs/core';

/**
 * Each module in its own service, behind a gateway service. Same module code as the
 * monolith: only this map differs. Ports are the services' internal listeners (the
 * gateway's public port is `PORT`); `CLEAVE_SERVICE_<NAME>_URL` overrides an address.
 */
export const split = defineTopology({
  name: 'split',
  services: {
    gateway: { modules: [], roles: ['gateway'], port: 4000 },
    users: { modules: ['users'], port: 4001 },
    posts: { modules: ['posts'], port: 4002 },
    notifications: { modules: ['notifications'], port: 4003 },
    // Orders owns the saga; inventory beside it. Payments alone, as the seed extracts it first.
    commerce: { modules: ['orders', 'inventory'], port: 4004 },
    payments: { modules: ['payments'], port: 4005 },
    // CPU-heavy image work in its own process: it can get its own cores and replicas.
    media: { modules: ['media'], port: 4006 },
    // The seed's "extract background jobs": notifications' emails and digests run here, not in notifications.
    worker: { modules: [], roles: ['worker'], jobs: ['notifications'], port: 4007 },
  },
});
