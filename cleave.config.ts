import { defineConfig } from '@cleavejs/core';
import { app } from './examples/saas/app.ts';
import { monolith } from './examples/saas/topologies/monolith.ts';
import { polyglot } from './examples/saas/topologies/polyglot.ts';
import { split } from './examples/saas/topologies/split.ts';

/** The project as the `cleave` command sees it: the reference app and its topologies. */
export default defineConfig({
  app,
  topologies: { monolith, split, polyglot },
  // What `cleave check` cannot read from code: the business the app stands for (a small
  // SaaS), and who answers for each module. The seed's thresholds apply by default.
  readiness: {
    engineers: 6,
    arrUsd: 1_500_000,
    users: 80_000,
    scalingNeeds: { payments: 'PCI scope: isolate the risk (the seed\'s first extraction)' },
  },
  team: {
    users: { owner: 'core', onCall: 'core-rota', engineers: 2 },
    posts: { owner: 'core', onCall: 'core-rota', engineers: 2 },
    notifications: { owner: 'core', onCall: 'core-rota', engineers: 2 },
    inventory: { owner: 'commerce', onCall: 'commerce-rota', engineers: 2 },
    orders: { owner: 'commerce', onCall: 'commerce-rota', engineers: 2 },
    payments: { owner: 'commerce', onCall: 'commerce-rota', engineers: 2 },
    media: { owner: 'core', onCall: 'core-rota', engineers: 2 },
  },
});
