// Fixture for boundaries.test.ts: imports of a module's own files are fine.
export { x } from './lib/x.ts';
