import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import type { ApiResponse } from '../support/client.ts';
import type { Target } from '../support/target.ts';
import { expectProblem } from './expect-problem.ts';

export function edgeSuite(target: () => Target): void {
  const client = () => new ApiClient(target().baseUrl);

  describe('edge', () => {
    it('health and readiness', async () => {
      const c = client();
      expect((await c.request('/healthz')).status).toBe(200);
      const ready = await c.request('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready' });
    });

    it('every response carries X-Trace-ID, continuing an incoming traceparent', async () => {
      const c = client();
      const fresh = await c.request('/healthz');
      expect(fresh.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const continued = await c.request('/api/v1/users/me', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      expect(continued.headers.get('x-trace-id')).toBe(traceId);
      expect(continued.body.traceId).toBe(traceId);
    });

    it('unknown routes are 404 problem+json', async () => {
      expectProblem(await client().request('/api/v1/nothing-here'), 404, 'cleave.NOT_FOUND');
    });

    it('bodies over the limit are refused with 413', async () => {
      const c = client();
      const s = await c.signup();
      const res = await c.request('/api/v1/posts', { token: s.accessToken, body: { title: 'big', body: 'x'.repeat(200 * 1024) } });
      expectProblem(res, 413, 'cleave.PAYLOAD_TOO_LARGE');
    });

    it('limits /api/v1/auth/* to 20 requests a minute per IP, with RateLimit headers and Retry-After', async () => {
      const c = client();
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 21; i++) {
        last = await c.request('/api/v1/auth/login', { body: { email: 'nobody@example.com', password: 'wrong-password' } });
        statuses.push(last.status);
        if (i === 0) {
          expect(last.headers.get('ratelimit-limit')).toBe('20');
          expect(last.headers.get('ratelimit-remaining')).toBe('19');
          expect(Number(last.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
        }
      }
      expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
      expectProblem(last!, 429, 'cleave.RATE_LIMITED');
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(last!.headers.get('ratelimit-remaining')).toBe('0');
      // Another client (another IP) is not affected.
      expect((await client().request('/api/v1/auth/login', { body: { email: 'nobody@example.com', password: 'wrong-password' } })).status).toBe(401);
    });

    it('serves an OpenAPI 3.1 document generated from the contracts', async () => {
      const res = await client().request('/api/v1/openapi.json');
      expect(res.status).toBe(200);
      expect(res.body.openapi).toBe('3.1.0');
      const paths = Object.keys(res.body.paths).sort();
      expect(paths).toEqual([
        '/api/v1/auth/login', '/api/v1/auth/logout', '/api/v1/auth/refresh', '/api/v1/auth/signup',
        '/api/v1/media/{imageId}/{variant}', '/api/v1/orders', '/api/v1/orders/{id}', '/api/v1/posts', '/api/v1/posts/{id}',
        '/api/v1/posts/{id}/image', '/api/v1/products', '/api/v1/products/{id}', '/api/v1/users/me', '/api/v1/users/{id}',
      ]);
      expect(Object.keys(res.body.paths['/api/v1/posts/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
      const create = res.body.paths['/api/v1/posts'].post;
      expect(create.requestBody.content['application/json'].schema.properties.title).toMatchObject({ type: 'string', maxLength: 200 });
      expect(create.responses['201']).toBeDefined();
      expect(res.body.paths['/api/v1/users/{id}'].get.security).toEqual([]);
      // The image upload is documented as bytes of the accepted types, not JSON.
      expect(Object.keys(res.body.paths['/api/v1/posts/{id}/image'].post.requestBody.content)).toEqual(['image/png', 'image/jpeg', 'image/webp']);
    });

    describe('hostile input (issue 12)', () => {
      const firstField = (res: ApiResponse) => (res.body.errors as { path: string; code: string }[])[0];

      it('a NUL byte or a lone surrogate is a 400 naming the field, in body, path and query', async () => {
        const c = client();
        const s = await c.signup();
        const cases: [ApiResponse, string][] = [
          [await c.request('/api/v1/posts', { token: s.accessToken, rawBody: '{"title":"\\u0000","body":"b"}', headers: { 'content-type': 'application/json' } }), 'title'],
          [await c.request('/api/v1/posts', { token: s.accessToken, rawBody: '{"title":"t","body":"\\ud800"}', headers: { 'content-type': 'application/json' } }), 'body'],
          [await c.request('/api/v1/posts/%00', { token: s.accessToken }), 'id'],
          [await c.request(`/api/v1/posts/${'%00'}`, { method: 'PATCH', token: s.accessToken, body: { title: 'x' } }), 'id'],
          [await c.request('/api/v1/posts?authorId=%00', { token: s.accessToken }), 'authorId'],
          [await c.request('/api/v1/users/me', { method: 'PATCH', token: s.accessToken, rawBody: '{"name":"\\udc00x"}', headers: { 'content-type': 'application/json' } }), 'name'],
          [await c.request('/api/v1/auth/signup', { rawBody: `{"email":"n-${randomUUID()}@example.com","password":"pw-${randomUUID()}","name":"a\\u0000"}`, headers: { 'content-type': 'application/json' } }), 'name'],
        ];
        for (const [res, field] of cases) {
          expectProblem(res, 400, 'cleave.VALIDATION_FAILED');
          expect(firstField(res)?.path).toBe(field);
        }
      });

      it('8,000 levels of nested arrays are a 400, not a stack overflow', async () => {
        const c = client();
        const s = await c.signup();
        const deep = `{"title":${'['.repeat(8000)}${']'.repeat(8000)},"body":"b"}`;
        const res = await c.request('/api/v1/posts', { token: s.accessToken, rawBody: deep, headers: { 'content-type': 'application/json' } });
        expectProblem(res, 400, 'cleave.VALIDATION_FAILED');
        expect(firstField(res)?.code).toBe('too_deep');
      });

      it('8,000 unknown keys get a short problem, not one that echoes them all', async () => {
        const c = client();
        const s = await c.signup();
        const body: Record<string, string> = { title: 't', body: 'b' };
        for (let i = 0; i < 8000; i++) body[`k${i}`] = '';
        const res = await c.request('/api/v1/posts', { token: s.accessToken, body });
        expectProblem(res, 400, 'cleave.VALIDATION_FAILED');
        expect(JSON.stringify(res.body).length).toBeLessThan(8_000);
      });

      it('a wrong method on an existing path is 405 with Allow', async () => {
        const res = await client().request('/api/v1/posts', { method: 'DELETE' });
        expectProblem(res, 405, 'cleave.METHOD_NOT_ALLOWED');
        expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
        expect((await client().request('/api/v1/posts/some-id', { method: 'PUT' })).headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH');
      });

      it('a client cannot dodge the auth rate limit by writing its own X-Forwarded-For entries', async () => {
        // The trusted proxy (one hop) appends the peer it saw; the client controls only what is left of it.
        const c = client();
        const statuses: number[] = [];
        for (let i = 0; i < 25; i++) {
          const res = await c.request('/api/v1/auth/login', { body: { email: 'nobody@example.com', password: 'wrong-password' }, headers: { 'x-forwarded-for': `198.18.${i}.${i}, ${c.ip}` } });
          statuses.push(res.status);
        }
        expect(statuses.filter((st) => st === 429).length).toBe(5);
      });
    });
  });
}
