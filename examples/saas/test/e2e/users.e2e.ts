import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import type { Target } from '../support/target.ts';
import { expectProblem, fieldPaths } from './expect-problem.ts';

export function usersSuite(target: () => Target): void {
  const client = () => new ApiClient(target().baseUrl);

  describe('users', () => {
    it('GET /users/me returns the signed-in user', async () => {
      const c = client();
      const s = await c.signup('Mia');
      const res = await c.request('/api/v1/users/me', { token: s.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: s.userId, email: s.email, name: 'Mia', createdAt: expect.any(String) });
    });

    it('PATCH /users/me renames, and validates the name', async () => {
      const c = client();
      const s = await c.signup('Old');
      const res = await c.request('/api/v1/users/me', { method: 'PATCH', token: s.accessToken, body: { name: 'New Name' } });
      expect(res.status).toBe(200);
      expect(res.body.name).toBe('New Name');
      expect((await c.request('/api/v1/users/me', { token: s.accessToken })).body.name).toBe('New Name');

      const blank = await c.request('/api/v1/users/me', { method: 'PATCH', token: s.accessToken, body: { name: '   ' } });
      expectProblem(blank, 400, 'cleave.VALIDATION_FAILED');
      expect(fieldPaths(blank)).toEqual(['name']);
      // Only the name may be changed here.
      expectProblem(await c.request('/api/v1/users/me', { method: 'PATCH', token: s.accessToken, body: { name: 'X', email: 'x@y.z' } }), 400, 'cleave.VALIDATION_FAILED');
      expect((await c.request('/api/v1/users/me', { token: s.accessToken })).body).toMatchObject({ name: 'New Name', email: s.email });
    });

    it('GET /users/:id is a public profile, without a token', async () => {
      const c = client();
      const s = await c.signup('Public Pat');
      const res = await c.request(`/api/v1/users/${s.userId}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: s.userId, name: 'Public Pat' });
      expectProblem(await c.request('/api/v1/users/no-such-user'), 404, 'users.NOT_FOUND');
    });
  });
}
