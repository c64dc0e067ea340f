import { describe, expect, it } from 'vitest';
import { errors } from '../errors/framework-errors.ts';
import { MAX_PUBLIC_DETAIL, publicError } from './public-error.ts';

describe('publicError (issue 12)', () => {
  it('turns errors about internal wiring into a bare cleave.INTERNAL', () => {
    for (const error of [
      errors.UNDECLARED_DEPENDENCY('aggregate "postWithAuthor" called billing.charge but does not declare "billing"'),
      errors.UNKNOWN_OPERATION('no service hosts module "ledger"'),
      errors.OUTPUT_INVALID('output of posts.getPost: n: expected number', { errors: [] }),
    ]) {
      const shown = publicError(error);
      expect(shown.code).toBe(errors.INTERNAL.code);
      expect(shown.status).toBe(500);
      expect(shown.detail).toBeUndefined();
      expect(shown.details).toBeUndefined();
    }
  });

  it('keeps typed errors a client can act on, and caps a long detail', () => {
    const unavailable = errors.DEPENDENCY_UNAVAILABLE('users is unavailable (circuit open)', { service: 'users' });
    expect(publicError(unavailable)).toBe(unavailable);
    const long = publicError(errors.VALIDATION_FAILED('x'.repeat(10_000), { errors: [] }));
    expect(long.code).toBe(errors.VALIDATION_FAILED.code);
    expect(long.detail?.length).toBe(MAX_PUBLIC_DETAIL + 1);
    expect(long.details).toEqual({ errors: [] });
  });
});
