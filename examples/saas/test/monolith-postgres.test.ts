import { describe } from 'vitest';
import { apiSuite } from './e2e/api-suite.ts';
import { startMonolith } from './support/target.ts';

const url = process.env.DATABASE_URL;

describe.skipIf(!url)('API end to end: monolith on PostgreSQL (needs DATABASE_URL)', () => {
  apiSuite((env) => startMonolith({ postgresUrl: url, env }));
});
