import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import { readUserTokenKey } from '../support/target.ts';
import type { Target } from '../support/target.ts';
import { expectProblem, fieldPaths } from './expect-problem.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function authSuite(target: () => Target): void {
  const client = () => new ApiClient(target().baseUrl);

  describe('signup', () => {
    it('creates an account and a session', async () => {
      const res = await client().request('/api/v1/auth/signup', { body: { email: `Ann-${randomUUID()}@Example.com`, password: 'correct horse', name: '  Ann  ' } });
      expect(res.status).toBe(201);
      expect(res.body.user).toMatchObject({ id: expect.any(String), name: 'Ann', email: expect.stringMatching(/^ann-.*@example\.com$/) });
      expect(res.body.user).not.toHaveProperty('passwordHash');
      expect(res.body.accessToken.split('.')).toHaveLength(3);
      expect(res.body.refreshToken).toEqual(expect.any(String));
    });

    it('refuses a duplicate email with 409, whatever its case', async () => {
      const c = client();
      const s = await c.signup();
      expectProblem(await c.request('/api/v1/auth/signup', { body: { email: s.email.toUpperCase(), password: 'another pw', name: 'X' } }), 409, 'users.EMAIL_TAKEN');
    });

    it('reports every bad field at once', async () => {
      const res = await client().request('/api/v1/auth/signup', { body: { email: 'not-an-email', password: 'short', name: 42 } });
      expectProblem(res, 400, 'cleave.VALIDATION_FAILED');
      expect(fieldPaths(res).sort()).toEqual(['email', 'name', 'password']);
    });

    it('refuses missing fields, unknown fields and over-long strings', async () => {
      const c = client();
      const missing = await c.request('/api/v1/auth/signup', { body: { email: `m-${randomUUID()}@example.com` } });
      expectProblem(missing, 400, 'cleave.VALIDATION_FAILED');
      expect(fieldPaths(missing).sort()).toEqual(['name', 'password']);
      const long = await c.request('/api/v1/auth/signup', { body: { email: `l-${randomUUID()}@example.com`, password: 'x'.repeat(300), name: 'n'.repeat(101) } });
      expect(fieldPaths(long).sort()).toEqual(['name', 'password']);
      const extra = await c.request('/api/v1/auth/signup', { body: { email: `e-${randomUUID()}@example.com`, password: 'long enough', name: 'E', admin: true } });
      expectProblem(extra, 400, 'cleave.VALIDATION_FAILED');
    });

    it('refuses malformed JSON and non-JSON bodies', async () => {
      const c = client();
      expectProblem(await c.request('/api/v1/auth/signup', { rawBody: '{"email":', headers: { 'content-type': 'application/json' } }), 400, 'cleave.MALFORMED_JSON');
      expectProblem(await c.request('/api/v1/auth/signup', { rawBody: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'cleave.UNSUPPORTED_MEDIA_TYPE');
      expectProblem(await c.request('/api/v1/auth/signup', { body: ['a'] }), 400, 'cleave.VALIDATION_FAILED');
    });
  });

  describe('login', () => {
    it('starts a session with the right password only', async () => {
      const c = client();
      const s = await c.signup();
      const ok = await c.request('/api/v1/auth/login', { body: { email: s.email, password: s.password } });
      expect(ok.status).toBe(200);
      expect(ok.body.user.id).toBe(s.userId);
      expectProblem(await c.request('/api/v1/auth/login', { body: { email: s.email, password: 'wrong password' } }), 401, 'users.INVALID_CREDENTIALS');
      expectProblem(await c.request('/api/v1/auth/login', { body: { email: `nobody-${randomUUID()}@example.com`, password: 'whatever1' } }), 401, 'users.INVALID_CREDENTIALS');
    });
  });

  describe('refresh tokens', () => {
    it('rotate: each refresh token works once, and reuse ends the session', async () => {
      const c = client();
      const s = await c.signup();
      const first = await c.request('/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } });
      expect(first.status).toBe(200);
      expect(first.body.refreshToken).not.toBe(s.refreshToken);
      expect((await c.request('/api/v1/users/me', { token: first.body.accessToken })).status).toBe(200);
      const second = await c.request('/api/v1/auth/refresh', { body: { refreshToken: first.body.refreshToken } });
      expect(second.status).toBe(200);

      // The client has moved on to `second`: the first token again is theft.
      expectProblem(await c.request('/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } }), 401, 'cleave.UNAUTHENTICATED');
      // Reuse signals theft: the newest token of the session is dead too.
      expectProblem(await c.request('/api/v1/auth/refresh', { body: { refreshToken: second.body.refreshToken } }), 401, 'cleave.UNAUTHENTICATED');
    });

    it('ten parallel refreshes with one token keep the user signed in (grace window, issue 12)', async () => {
      const c = client();
      const s = await c.signup();
      const all = await Promise.all(Array.from({ length: 10 }, () => c.request('/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } })));
      expect(all.map((r) => r.status)).toEqual(Array(10).fill(200));
      for (const r of all) expect((await c.request('/api/v1/users/me', { token: r.body.accessToken })).status).toBe(200);
      expect((await c.request('/api/v1/auth/refresh', { body: { refreshToken: all[3]!.body.refreshToken } })).status).toBe(200);
    });

    it('logout revokes the session: refresh and its access tokens are refused', async () => {
      const c = client();
      const s = await c.signup();
      expect((await c.request('/api/v1/auth/logout', { body: { refreshToken: s.refreshToken } })).status).toBe(204);
      expectProblem(await c.request('/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } }), 401, 'cleave.UNAUTHENTICATED');
      expectProblem(await c.request('/api/v1/users/me', { token: s.accessToken }), 401, 'cleave.UNAUTHENTICATED');
    });

    it('refuses an unknown refresh token', async () => {
      expectProblem(await client().request('/api/v1/auth/refresh', { body: { refreshToken: 'no-such-token' } }), 401, 'cleave.UNAUTHENTICATED');
    });
  });

  describe('access tokens', () => {
    it('routes that need a user refuse requests without a token', async () => {
      const c = client();
      for (const [method, path] of [['GET', '/api/v1/users/me'], ['PATCH', '/api/v1/users/me'], ['POST', '/api/v1/posts'], ['GET', '/api/v1/posts'], ['GET', '/api/v1/posts/x']]) {
        const res = await c.request(path as string, { method: method as string, ...(method === 'GET' ? {} : { body: {} }) });
        expectProblem(res, 401, 'cleave.UNAUTHENTICATED');
      }
    });

    it('refuses alg:none, HMAC, expired, foreign-audience and foreign-key tokens', async () => {
      const c = client();
      const s = await c.signup();
      const claims = JSON.parse(Buffer.from(s.accessToken.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
      const jwk = await readUserTokenKey(target());
      const key = await importJWK(jwk, 'EdDSA');
      const sign = (payload: Record<string, unknown>, signingKey: Parameters<SignJWT['sign']>[0] = key, alg = 'EdDSA') =>
        new SignJWT(payload).setProtectedHeader({ alg, kid: jwk.kid as string, typ: 'at+jwt' }).sign(signingKey);
      const now = Math.floor(Date.now() / 1000);

      const forged = [
        `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`,
        await sign(claims, new TextEncoder().encode('a-shared-secret-of-32-bytes-long!'), 'HS256'),
        await sign({ ...claims, iat: now - 3600, exp: now - 60 }),
        await sign({ ...claims, aud: 'another-api' }),
        await sign({ ...claims, iss: 'someone-else' }),
        await sign(claims, (await (await import('jose')).generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey),
        'not-a-jwt',
      ];
      for (const token of forged) expectProblem(await c.request('/api/v1/users/me', { token }), 401, 'cleave.UNAUTHENTICATED');
      // The genuine token still works, so the refusals above are about the tokens.
      expect((await c.request('/api/v1/users/me', { token: s.accessToken })).status).toBe(200);
    });

    it('publishes the public signing key as a JWKS', async () => {
      const res = await client().request('/.well-known/jwks.json');
      expect(res.status).toBe(200);
      expect(res.body.keys).toHaveLength(1);
      expect(res.body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: expect.any(String) });
      expect(res.body.keys[0]).not.toHaveProperty('d');
    });
  });
}
