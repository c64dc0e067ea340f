import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
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
  });
}
