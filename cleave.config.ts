import { defineConfig } from '@cleavejs/core';
import { app } from './examples/saas/app.ts';
import { monolith } from './examples/saas/topologies/monolith.ts';
import { polyglot } from './examples/saas/topologies/polyglot.ts';
import { split } from './examples/saas/topologies/split.ts';

/** The project as the `cleave` command sees it: the reference app and its topologies. */
export default defineConfig({ app, topologies: { monolith, split, polyglot } });
