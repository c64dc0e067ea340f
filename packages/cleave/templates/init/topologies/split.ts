import { defineTopology } from '@cleavejs/core';

/**
 * The same modules as services (`npm run start:split`): a gateway in front, notes behind
 * it, calling each other over HTTP. Ports are the internal listeners; the public one is PORT.
 */
export const split = defineTopology({
  name: 'split',
  services: {
    gateway: { modules: [], roles: ['gateway'], port: 4100 },
    notes: { modules: ['notes'], port: 4101 },
  },
});
