import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { HttpMethod } from '../module/contract.ts';
import { asCleaveError, problemBody } from '../errors/problem.ts';
import { readRequestInput } from './request-input.ts';

const app = new Hono();
app.onError((err, c) => {
  const error = asCleaveError(err);
  return c.body(problemBody(error, 'trace-1'), error.status as 400, { 'content-type': 'application/problem+json' });
});
for (const method of ['GET', 'DELETE', 'POST', 'PUT', 'PATCH'] as const satisfies readonly HttpMethod[]) {
  app.on(method, '/posts/:id', async (c) => c.json(await readRequestInput(c, method)));
  app.on(method, '/items', async (c) => c.json(await readRequestInput(c, method)));
}

// `contentType: null` sends no header of our own.
const json = (method: string, body: string, contentType: string | null = 'application/json') =>
  ({ method, body, headers: contentType === null ? {} : { 'content-type': contentType } }) satisfies RequestInit;

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as { status: number; code: string; detail?: string; errors?: unknown[] };
}

describe('readRequestInput', () => {
  it('reads a JSON object body', async () => {
    const res = await app.request('/items', json('POST', '{"title":"t","n":2}'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ title: 't', n: 2 });
  });

  it('refuses malformed JSON with cleave.MALFORMED_JSON', async () => {
    const res = await app.request('/items', json('POST', '{"title":'));
    expect(res.status).toBe(400);
    expect(await problem(res)).toMatchObject({ code: 'cleave.MALFORMED_JSON', status: 400 });
  });

  it('refuses a body that is not JSON with 415 cleave.UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await app.request('/items', json('POST', 'title=t', 'application/x-www-form-urlencoded'));
    expect(res.status).toBe(415);
    const body = await problem(res);
    expect(body.code).toBe('cleave.UNSUPPORTED_MEDIA_TYPE');
    expect(body.detail).toContain('application/x-www-form-urlencoded');
  });

  it('refuses a body without a content type', async () => {
    const res = await app.request('/items', json('PUT', '{"a":1}', null));
    // A string body gets text/plain from the Request constructor.
    expect(res.status).toBe(415);
  });

  it('accepts +json media types and parameters', async () => {
    expect((await app.request('/items', json('PATCH', '{"a":1}', 'application/merge-patch+json'))).status).toBe(200);
    expect((await app.request('/items', json('POST', '{"a":1}', 'application/json; charset=utf-8'))).status).toBe(200);
  });

  it('does not take a look-alike type for JSON', async () => {
    expect((await app.request('/items', json('POST', '{"a":1}', 'application/jsonp'))).status).toBe(415);
    expect((await app.request('/items', json('POST', '{"a":1}', 'text/json'))).status).toBe(415);
  });

  it.each(['[1,2]', 'null', '"text"', '42'])('refuses the JSON body %s (not an object) with VALIDATION_FAILED', async (body) => {
    const res = await app.request('/items', json('POST', body));
    expect(res.status).toBe(400);
    const p = await problem(res);
    expect(p.code).toBe('cleave.VALIDATION_FAILED');
    expect(p.errors).toEqual([{ path: '', message: 'expected an object', code: 'invalid_type' }]);
  });

  it('lets path parameters override body fields', async () => {
    const res = await app.request('/posts/42', json('PATCH', '{"id":"other","title":"t"}'));
    expect(await res.json()).toEqual({ id: '42', title: 't' });
  });

  it('reads path parameters alone for an empty body, whatever the content type', async () => {
    expect(await (await app.request('/posts/42', { method: 'POST' })).json()).toEqual({ id: '42' });
    expect(await (await app.request('/posts/42', json('POST', '  ', 'text/plain'))).json()).toEqual({ id: '42' });
  });

  it('merges the query string and path parameters for GET, path winning', async () => {
    const res = await app.request('/posts/42?id=evil&limit=10&cursor=abc');
    expect(await res.json()).toEqual({ id: '42', limit: '10', cursor: 'abc' });
  });

  it('reads the query string for DELETE and ignores a body', async () => {
    const res = await app.request('/posts/7?hard=1', json('DELETE', '{"id":"x","extra":true}'));
    expect(await res.json()).toEqual({ id: '7', hard: '1' });
  });

  it('does not let a __proto__ key pollute prototypes', async () => {
    const res = await app.request('/items', json('POST', '{"__proto__":{"polluted":true},"a":1}'));
    expect(res.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('input no database can store (issue 12)', () => {
    const fieldOf = async (res: Response) => {
      expect(res.status).toBe(400);
      const body = (await problem(res)) as { code: string; errors: { path: string; code: string }[] };
      expect(body.code).toBe('cleave.VALIDATION_FAILED');
      return body.errors[0];
    };

    it('refuses a NUL byte in a body field, naming the field', async () => {
      expect(await fieldOf(await app.request('/items', json('POST', '{"title":"a\\u0000b"}')))).toMatchObject({ path: 'title', code: 'invalid_string' });
      expect(await fieldOf(await app.request('/items', json('POST', '{"tags":["ok","\\u0000"]}')))).toMatchObject({ path: 'tags.1' });
    });

    it('refuses lone surrogates (high and low) but keeps paired ones', async () => {
      expect(await fieldOf(await app.request('/items', json('POST', '{"name":"\\ud800"}')))).toMatchObject({ path: 'name' });
      expect(await fieldOf(await app.request('/items', json('POST', '{"name":"x\\udc00"}')))).toMatchObject({ path: 'name' });
      const paired = await app.request('/items', json('POST', '{"name":"\\ud83d\\ude00"}'));
      expect(paired.status).toBe(200);
      expect(await paired.json()).toEqual({ name: '😀' });
    });

    it('refuses NUL in path and query parameters and in keys', async () => {
      expect(await fieldOf(await app.request('/posts/%00'))).toMatchObject({ path: 'id' });
      expect(await fieldOf(await app.request('/items?authorId=%00'))).toMatchObject({ path: 'authorId' });
      expect(await fieldOf(await app.request('/items', json('POST', '{"a":{"k\\u0000":1}}')))).toMatchObject({ path: 'a', code: 'invalid_key' });
    });

    it('refuses nesting deeper than 64 levels (8,000 levels was a stack overflow in split)', async () => {
      const deep = `{"title":${'['.repeat(8000)}${']'.repeat(8000)}}`;
      expect(await fieldOf(await app.request('/items', json('POST', deep)))).toMatchObject({ code: 'too_deep' });
      const fine = `{"title":${'['.repeat(60)}${']'.repeat(60)}}`;
      expect((await app.request('/items', json('POST', fine))).status).toBe(200);
    });
  });
});
