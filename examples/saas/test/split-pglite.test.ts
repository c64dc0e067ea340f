import { describe } from 'vitest';
import { apiSuite } from './e2e/api-suite.ts';
import { startSplit } from './support/split-target.ts';

describe('API end to end: split topology on PGlite (one process per service)', () => {
  apiSuite(() => startSplit());
});
