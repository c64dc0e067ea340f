import { describe } from 'vitest';
import { apiSuite } from './e2e/api-suite.ts';
import { startMonolith } from './support/target.ts';

describe('API end to end: monolith on PGlite, one instance per module (CLEAVE_EMBEDDED=pglite)', () => {
  apiSuite((env) => startMonolith({ env: { ...env, CLEAVE_EMBEDDED: 'pglite' } }));
});
