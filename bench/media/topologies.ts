import { defineConfig, defineTopology } from '@cleavejs/core';
import { app } from '../../examples/saas/app.ts';
import { monolith } from '../../examples/saas/topologies/monolith.ts';

/**
 * The two shapes of bench/media-isolation.ts: every module in one process (the
 * reference monolith), and the same with media extracted into its own service — the
 * seed's "image processing: CPU-intensive, different scaling" extraction, and nothing else.
 */
export const mediaApart = defineTopology({
  name: 'media-apart',
  services: {
    app: { modules: ['users', 'posts', 'notifications', 'inventory', 'payments', 'orders'], roles: ['gateway'], port: 3000 },
    media: { modules: ['media'], port: 4006 },
  },
});

export default defineConfig({ app, topologies: { monolith, 'media-apart': mediaApart } });
