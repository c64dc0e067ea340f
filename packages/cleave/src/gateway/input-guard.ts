import { errors } from '../errors/framework-errors.ts';
import type { FieldError } from '../errors/validation.ts';

/**
 * Deepest nesting of arrays and objects an input may have. Contracts describe shallow
 * documents; a body nested thousands deep is an attack on recursive code (Zod,
 * `JSON.stringify` in the HTTP transport: `RangeError: Maximum call stack size exceeded`).
 */
export const MAX_INPUT_DEPTH = 64;

// A lone UTF-16 surrogate or a NUL: JSON carries both, PostgreSQL stores neither
// (text columns refuse NUL; lone surrogates are not valid UTF-8).
// ES2024, in every Node this package supports (>= 20); the compiler's lib is older.
interface WellFormed {
  isWellFormed(): boolean;
}

function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (!(text as unknown as WellFormed).isWellFormed()) return 'contains a lone UTF-16 surrogate';
  return undefined;
}

/**
 * Refuses input that no module could store or that would break recursive code, before
 * it reaches a handler: strings (and keys) with NUL or lone surrogates, and nesting past
 * `maxDepth`. Throws `cleave.VALIDATION_FAILED` (400) naming the first offending field,
 * in the same shape as a contract's field errors.
 */
export function guardInput(value: unknown, where: string, maxDepth = MAX_INPUT_DEPTH): void {
  const problem = findProblem(value, [], 0, maxDepth);
  if (problem === undefined) return;
  const at = problem.path ? `${problem.path}: ` : '';
  throw errors.VALIDATION_FAILED(`${where}: ${at}${problem.message}`, { errors: [problem] });
}

function findProblem(value: unknown, path: string[], depth: number, maxDepth: number): FieldError | undefined {
  if (typeof value === 'string') {
    const message = unstorable(value);
    return message === undefined ? undefined : { path: path.join('.'), message, code: 'invalid_string' };
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= maxDepth) return { path: path.join('.'), message: `nested deeper than ${maxDepth} levels`, code: 'too_deep' };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(String(i));
      const found = findProblem(value[i], path, depth + 1, maxDepth);
      path.pop();
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyMessage = unstorable(key);
    // The key itself cannot be printed faithfully; name where it sits instead.
    if (keyMessage) return { path: path.join('.'), message: `a key ${keyMessage}`, code: 'invalid_key' };
    path.push(key);
    const found = findProblem(item, path, depth + 1, maxDepth);
    path.pop();
    if (found) return found;
  }
  return undefined;
}
