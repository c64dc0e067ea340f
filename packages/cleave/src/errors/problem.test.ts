import { describe, expect, it } from 'vitest';
import { CleaveError } from './cleave-error.ts';
import { errors } from './framework-errors.ts';
import { asCleaveError, problemBody, toProblem } from './problem.ts';

describe('toProblem', () => {
  it('carries type, title, status, code, traceId, detail and instance', () => {
    const err = new CleaveError({ code: 'posts.NOT_FOUND', status: 404, title: 'Post not found', detail: 'no post p1' });
    expect(toProblem(err, 'trace-1', '/api/v1/posts/p1')).toEqual({
      type: 'urn:cleave:error:posts.NOT_FOUND',
      title: 'Post not found',
      status: 404,
      detail: 'no post p1',
      instance: '/api/v1/posts/p1',
      code: 'posts.NOT_FOUND',
      traceId: 'trace-1',
    });
  });

  it('leaves out detail and instance when absent', () => {
    const problem = toProblem(errors.NOT_FOUND(), 'trace-2');
    expect(problem).not.toHaveProperty('detail');
    expect(problem).not.toHaveProperty('instance');
    expect(problem).toMatchObject({ code: 'cleave.NOT_FOUND', status: 404, title: 'Not found', traceId: 'trace-2' });
  });

  it('spreads details as extension members', () => {
    const fields = [{ path: 'title', message: 'Too short', code: 'too_small' }];
    const problem = toProblem(errors.VALIDATION_FAILED('invalid input', { errors: fields }), 't');
    expect(problem.errors).toEqual(fields);
    expect(toProblem(errors.RATE_LIMITED('slow down', { retryAfterSeconds: 7 }), 't').retryAfterSeconds).toBe(7);
  });

  it('problemBody is the JSON of toProblem', () => {
    const err = errors.CONFLICT('taken', { field: 'email' });
    expect(JSON.parse(problemBody(err, 't', '/x'))).toEqual(toProblem(err, 't', '/x'));
  });
});

describe('asCleaveError', () => {
  it('returns a CleaveError as is', () => {
    const err = errors.FORBIDDEN('no');
    expect(asCleaveError(err)).toBe(err);
  });

  it.each([new Error('db password is hunter2'), new TypeError('x is undefined'), 'a string', undefined, { code: 'users.FAKE', status: 200 }])(
    'hides %s behind cleave.INTERNAL',
    (thrown) => {
      const err = asCleaveError(thrown);
      expect(err).toBeInstanceOf(CleaveError);
      expect(err.code).toBe('cleave.INTERNAL');
      expect(err.status).toBe(500);
      expect(err.detail).toBeUndefined();
      expect(problemBody(err, 't')).not.toContain('hunter2');
    },
  );
});
