// Fixture: reaches past beta's contract into its internals.
import { secret } from '../../beta/lib/secret.ts';

export const x = secret + 1;
