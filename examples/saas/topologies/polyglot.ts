import { defineTopology } from '@cleavejs/core';
import { split } from './split.ts';

/**
 * The split topology with media served by its Python implementation
 * (examples/saas/polyglot/media): the same contract, the same internal protocol, another
 * language. Events travel over HTTP (the Python service pushes them to subscribers).
 */
export const polyglot = defineTopology({
  name: 'polyglot',
  services: {
    ...split.services,
    media: { modules: ['media'], port: 4006, command: ['/usr/bin/python3', 'examples/saas/polyglot/media/server.py', '--contract', 'examples/saas/polyglot/media/contract.json'] },
  },
});
