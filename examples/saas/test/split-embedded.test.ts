import { describe } from 'vitest';
import { apiSuite } from './e2e/api-suite.ts';
import { startSplit } from './support/split-target.ts';

describe('API end to end: split topology on the embedded PostgreSQL server, events pushed over HTTP (one process per service)', () => {
  apiSuite((env) => startSplit({ env: { ...env, CLEAVE_EVENTS: 'http' } }));
});
