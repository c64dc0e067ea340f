import { describe } from 'vitest';
import { apiSuite } from './e2e/api-suite.ts';
import { startMonolith } from './support/target.ts';

describe('API end to end: monolith on the embedded PostgreSQL server (the default)', () => {
  apiSuite((env) => startMonolith({ env }));
});
