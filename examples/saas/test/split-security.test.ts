import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './e2e/expect-problem.ts';
import { ApiClient } from './support/client.ts';
import type { ApiResponse, Session } from './support/client.ts';
import { serviceKey } from './support/service-token.ts';
import type { ServiceKey } from './support/service-token.ts';
import { startSplit } from './support/split-target.ts';
import type { SplitTarget } from './support/split-target.ts';
import { waitFor } from './support/wait-for.ts';

/**
 * The internal call routes of the split topology, attacked directly: a caller that
 * reaches a service's internal listener but holds no valid service token must not
 * change anything. Each forged token is a valid one with exactly one defect, and a
 * control shows a token built the same way without the defect is accepted — so the
 * refusals are about the tokens, not about the requests.
 */

interface Claims {
  readonly iss: string;
  readonly aud: string;
  readonly sub?: string;
  readonly iat?: number;
  readonly exp?: number;
  readonly jti?: string;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function unknownKey(kid?: string): Promise<ServiceKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { kid: kid ?? (await calculateJwkThumbprint(publicJwk)), privateKey, publicJwk };
}

/** A service token as the framework signs one, unless `claims` or `alg` say otherwise. */
function sign(key: ServiceKey, claims: Claims & Record<string, unknown>, alg = 'EdDSA', header: Record<string, unknown> = {}): Promise<string> {
  const now = nowSeconds();
  return new SignJWT({ iat: now, exp: now + 60, ...claims })
    .setProtectedHeader({ alg, typ: 'svc+jwt', ...(key.kid === undefined ? {} : { kid: key.kid }), ...header })
    .sign(key.privateKey);
}

function internalCall(serviceUrl: string, module: string, operation: string, body: unknown, token?: string): Promise<ApiResponse> {
  return new ApiClient(serviceUrl).request(`/_cleave/call/${module}/${operation}`, { body, ...(token === undefined ? {} : { token }) });
}

/** The internal listener answers problem details too (without the public X-Trace-ID). */
function expectRefused(res: ApiResponse, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, code });
}

const newAccount = (label: string) => ({ email: `forged-${label}-${randomUUID()}@example.com`, password: `pw-${randomUUID()}`, name: 'Intruder' });

const url = process.env.DATABASE_URL;

describe(`split topology: internal call routes refuse forged service tokens (${url ? 'PostgreSQL' : 'PGlite'})`, () => {
  let target: SplitTarget;
  let victim: Session;
  let post: { id: string; title: string; body: string };
  let postsKey: ServiceKey;
  let usersKey: ServiceKey;
  /** Accounts the forged `users/register` calls tried to create; none may exist afterwards. */
  const forgedAccounts: ReturnType<typeof newAccount>[] = [];

  beforeAll(async () => {
    target = await startSplit({ postgresUrl: url });
    const c = new ApiClient(target.baseUrl);
    victim = await c.signup('Victim');
    const created = await c.request('/api/v1/posts', { token: victim.accessToken, body: { title: 'Original title', body: 'Original body' } });
    expect(created.status).toBe(201);
    post = created.body;
    postsKey = await serviceKey(target.dataDir, 'posts');
    usersKey = await serviceKey(target.dataDir, 'users');
  });

  afterAll(async () => {
    await target?.stop();
  });

  it('internal routes are not exposed on the public gateway', async () => {
    const c = new ApiClient(target.baseUrl);
    expectProblem(await c.request('/_cleave/call/users/getMe', { body: {} }), 404, 'cleave.NOT_FOUND');
    expectProblem(await c.request('/_cleave/call/users/updateMe', { token: victim.accessToken, body: { name: 'Pwned' } }), 404, 'cleave.NOT_FOUND');
  });

  it('control: a correctly signed posts → users token is accepted', async () => {
    const token = await sign(postsKey, { iss: 'posts', aud: 'users', sub: victim.userId });
    const res = await internalCall(target.services.users!, 'users', 'getPublicProfile', { id: victim.userId }, token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ id: victim.userId, name: 'Victim' });

    // The same kind of token may also write (posts depends on users), which is what
    // makes the refusals below meaningful: a control user is renamed, an account made.
    const control = await new ApiClient(target.baseUrl).signup('Control');
    const asControl = await sign(postsKey, { iss: 'posts', aud: 'users', sub: control.userId });
    const renamed = await internalCall(target.services.users!, 'users', 'updateMe', { name: 'Renamed by posts' }, asControl);
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body).toMatchObject({ id: control.userId, name: 'Renamed by posts' });
    const account = newAccount('control');
    expect((await internalCall(target.services.users!, 'users', 'register', account, token)).status).toBe(200);
    expect((await new ApiClient(target.baseUrl).request('/api/v1/auth/login', { body: { email: account.email, password: account.password } })).status).toBe(200);
  });

  // Each case: a token that is valid but for one defect, sent to operations that write.
  const forgeries: [string, () => Promise<string | undefined>][] = [
    ['no token at all', async () => undefined],
    ['not a JWT', async () => 'not-a-jwt'],
    ['expired (real posts key)', async () => sign(postsKey, { iss: 'posts', aud: 'users', sub: victim.userId, iat: nowSeconds() - 120, exp: nowSeconds() - 60 })],
    ['signed by an unknown Ed25519 key, claiming the posts key id', async () => sign(await unknownKey(postsKey.kid), { iss: 'posts', aud: 'users', sub: victim.userId })],
    ['signed by an unknown Ed25519 key with its own key id', async () => sign(await unknownKey(), { iss: 'posts', aud: 'users', sub: victim.userId })],
    ['alg: none', async () => `${b64({ alg: 'none', typ: 'svc+jwt' })}.${b64({ iss: 'posts', aud: 'users', sub: victim.userId, iat: nowSeconds(), exp: nowSeconds() + 60 })}.`],
    ['HS256, keyed with the posts public key', async () => sign({ kid: postsKey.kid, privateKey: new TextEncoder().encode(postsKey.publicJwk.x), publicJwk: postsKey.publicJwk }, { iss: 'posts', aud: 'users', sub: victim.userId }, 'HS256')],
    ['audience posts (real posts key)', async () => sign(postsKey, { iss: 'posts', aud: 'posts', sub: victim.userId })],
    ['audience gateway (real posts key)', async () => sign(postsKey, { iss: 'posts', aud: 'gateway', sub: victim.userId })],
    ['issuer gateway, signed with the posts key', async () => sign(postsKey, { iss: 'gateway', aud: 'users', sub: victim.userId })],
    ['unknown issuer "billing"', async () => sign(await unknownKey(), { iss: 'billing', aud: 'users', sub: victim.userId })],
    ['the victim\'s own user access token', async () => victim.accessToken],
    // RFC 8725 (issue 12): more single defects, on the real posts key unless said otherwise.
    ['typ at+jwt (a user token shape)', async () => sign(postsKey, { iss: 'posts', aud: 'users', sub: victim.userId }, 'EdDSA', { typ: 'at+jwt' })],
    ['typ JWT', async () => sign(postsKey, { iss: 'posts', aud: 'users', sub: victim.userId }, 'EdDSA', { typ: 'JWT' })],
    ['not yet valid (nbf in an hour)', async () => sign(postsKey, { iss: 'posts', aud: 'users', sub: victim.userId, nbf: nowSeconds() + 3600 })],
    ['no exp', async () => new SignJWT({ iss: 'posts', aud: 'users', sub: victim.userId, iat: nowSeconds() }).setProtectedHeader({ alg: 'EdDSA', typ: 'svc+jwt', kid: postsKey.kid! }).sign(postsKey.privateKey)],
    ['embedded jwk of an unknown key', async () => { const k = await unknownKey(); return sign(k, { iss: 'posts', aud: 'users', sub: victim.userId }, 'EdDSA', { jwk: k.publicJwk }); }],
    ['kid injection, an unknown key', async () => sign(await unknownKey('../../keys/service-posts.private.jwk.json'), { iss: 'posts', aud: 'users', sub: victim.userId })],
    ['tampered payload: sub swapped after signing', async () => {
      const [h, , sig] = (await sign(postsKey, { iss: 'posts', aud: 'users', sub: 'someone-else' })).split('.');
      return `${h}.${b64({ iss: 'posts', aud: 'users', sub: victim.userId, iat: nowSeconds(), exp: nowSeconds() + 60 })}.${sig}`;
    }],
    ['oversized (8 KB of claims, an unknown key)', async () => sign(await unknownKey(), { iss: 'posts', aud: 'users', sub: victim.userId, pad: 'x'.repeat(8_000) })],
    ['the victim\'s refresh token', async () => victim.refreshToken],
  ];

  it.each(forgeries)('users/updateMe and users/register refuse a token: %s → 401', async (label, forge) => {
    const token = await forge();
    const rename = await internalCall(target.services.users!, 'users', 'updateMe', { name: 'Pwned' }, token);
    expectRefused(rename, 401, 'cleave.UNAUTHENTICATED');
    const account = newAccount(label.replace(/\W+/g, '-'));
    forgedAccounts.push(account);
    expectRefused(await internalCall(target.services.users!, 'users', 'register', account, token), 401, 'cleave.UNAUTHENTICATED');
  });

  it('/_cleave/info answers only a service token (issue 12)', async () => {
    expectRefused(await new ApiClient(target.services.users!).request('/_cleave/info'), 401, 'cleave.UNAUTHENTICATED');
    expectRefused(await new ApiClient(target.services.users!).request('/_cleave/info', { token: victim.accessToken }), 401, 'cleave.UNAUTHENTICATED');
    const ok = await new ApiClient(target.services.users!).request('/_cleave/info', { token: await sign(postsKey, { iss: 'posts', aud: 'users' }) });
    expect(ok.status).toBe(200);
    expect(ok.body.service).toBe('users');
  });

  it('a genuine service token is no access token at the public gateway (issue 12)', async () => {
    for (const aud of ['users', 'gateway']) {
      const token = await sign(postsKey, { iss: 'posts', aud, sub: victim.userId });
      expectProblem(await new ApiClient(target.baseUrl).request('/api/v1/users/me', { token }), 401, 'cleave.UNAUTHENTICATED');
    }
  });

  it('NUL bytes and lone surrogates on the internal protocol are a 400 naming the field (issue 12)', async () => {
    const token = await sign(postsKey, { iss: 'posts', aud: 'users', sub: victim.userId });
    for (const name of ['a\u0000b', '\ud800']) {
      const res = await internalCall(target.services.users!, 'users', 'updateMe', { name }, token);
      expectRefused(res, 400, 'cleave.VALIDATION_FAILED');
      expect(res.body.errors[0].path).toBe('name');
    }
  });

  it('a genuine token from a service without a declared dependency is refused with 403 (users may not call posts)', async () => {
    const token = await sign(usersKey, { iss: 'users', aud: 'posts', sub: victim.userId });
    // 403, not 401: the token verified, the caller is known; the dependency is missing.
    const created = await internalCall(target.services.posts!, 'posts', 'createPost', { title: 'Forged', body: 'by users' }, token);
    expectRefused(created, 403, 'cleave.FORBIDDEN');
    expect(created.body.detail).toContain('"users"');
    expectRefused(await internalCall(target.services.posts!, 'posts', 'updatePost', { id: post.id, title: 'Pwned' }, token), 403, 'cleave.FORBIDDEN');
    expectRefused(await internalCall(target.services.posts!, 'posts', 'deletePost', { id: post.id }, token), 403, 'cleave.FORBIDDEN');
  });

  // Regression: names inherited from Object.prototype must not pass as known services.
  it('issuers named like Object.prototype members are unknown issuers too → 401', async () => {
    for (const iss of ['constructor', '__proto__', 'toString']) {
      const token = await sign(await unknownKey(), { iss, aud: 'users', sub: victim.userId });
      expectRefused(await internalCall(target.services.users!, 'users', 'updateMe', { name: 'Pwned' }, token), 401, 'cleave.UNAUTHENTICATED');
    }
  });

  it('a token that lives longer than 5 minutes is refused', async () => {
    const iat = nowSeconds();
    const token = await sign(postsKey, { iss: 'posts', aud: 'users', sub: victim.userId, iat, exp: iat + 3600 });
    expectRefused(await internalCall(target.services.users!, 'users', 'getPublicProfile', { id: victim.userId }, token), 401, 'cleave.UNAUTHENTICATED');
  });

  it('a cached token is refused once it expires', async () => {
    // Accepted (and so cached) 3 s before its expiry; refused after it.
    const iat = nowSeconds() - 297;
    const token = await sign(postsKey, { iss: 'posts', aud: 'users', sub: victim.userId, iat, exp: iat + 300 });
    const read = () => internalCall(target.services.users!, 'users', 'getPublicProfile', { id: victim.userId }, token);
    expect((await read()).status).toBe(200);
    await waitFor('the cached token to expire', async () => (await read()).status === 401, 15_000, 250);
    expectRefused(await read(), 401, 'cleave.UNAUTHENTICATED');
  });

  it('nothing changed: the name, the post, and no account from the forged registrations', async () => {
    const c = new ApiClient(target.baseUrl);
    const me = await c.request('/api/v1/users/me', { token: victim.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: victim.userId, name: 'Victim', email: victim.email });

    const still = await c.request(`/api/v1/posts/${post.id}`, { token: victim.accessToken });
    expect(still.status).toBe(200);
    expect(still.body).toMatchObject({ id: post.id, title: 'Original title', body: 'Original body', authorId: victim.userId, author: { id: victim.userId, name: 'Victim' } });
    const mine = await c.request(`/api/v1/posts?authorId=${victim.userId}`, { token: victim.accessToken });
    expect(mine.body.items.map((p: { id: string }) => p.id)).toEqual([post.id]);

    // With the password the forged call chose: the control above shows this logs in
    // when the registration went through.
    expect(forgedAccounts).toHaveLength(forgeries.length);
    for (const { email, password } of forgedAccounts) {
      // A client per login: the auth routes allow 20 requests a minute per IP.
      const login = await new ApiClient(target.baseUrl).request('/api/v1/auth/login', { body: { email, password } });
      expectProblem(login, 401, 'users.INVALID_CREDENTIALS');
    }
  });
});
