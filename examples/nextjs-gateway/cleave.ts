import { fetchHandler } from '@cleavejs/core';
import { app } from '../saas/app.ts';
import { monolith } from '../saas/topologies/monolith.ts';

/**
 * The reference app's whole monolith, run inside the Next.js server process: one Cleave
 * service per process, started by instrumentation.ts when the server starts, reached
 * through its gateway's web-standard fetch.
 */
export const cleave = fetchHandler({ app, topology: monolith });
