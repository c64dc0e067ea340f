// Fixture: imports beta's contract (a violation unless gamma declares beta).
import { beta } from '../beta/index.ts';

export const gamma = `${beta}!`;
