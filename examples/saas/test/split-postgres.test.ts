import { describe } from 'vitest';
import { apiSuite } from './e2e/api-suite.ts';
import { startSplit } from './support/split-target.ts';

const url = process.env.DATABASE_URL;

describe.skipIf(!url)('API end to end: split topology on PostgreSQL, a database per module, events through NATS when NATS_URL is set (needs DATABASE_URL)', () => {
  apiSuite((env) => startSplit({ postgresUrl: url, env }));
});
