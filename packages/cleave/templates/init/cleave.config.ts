import { defineConfig } from '@cleavejs/core';
import { app } from './app.ts';
import { monolith } from './topologies/monolith.ts';
import { split } from './topologies/split.ts';

/** What the `cleave` command runs: the app and the shapes it can run in. */
export default defineConfig({ app, topologies: { monolith, split } });
