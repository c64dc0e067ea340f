import { describe } from 'vitest';
import { apiSuite } from './e2e/api-suite.ts';
import { startSplit } from './support/split-target.ts';

const url = process.env.DATABASE_URL;

describe.skipIf(!process.env.REDIS_URL || !url)('API end to end: split topology on PostgreSQL, a database per module, events through BullMQ queues on Redis (needs REDIS_URL and DATABASE_URL)', () => {
  apiSuite((env) => startSplit({ postgresUrl: url, env: { ...env, CLEAVE_EVENTS: 'bullmq' } }));
});
