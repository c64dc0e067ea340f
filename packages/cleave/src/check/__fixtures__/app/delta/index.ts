// Fixture: a type-only import of beta's contract still counts as a dependency.
import type { BetaShape } from '../beta/index.ts';

export const delta: BetaShape = { id: 'delta' };
