import { base64url, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CleaveError } from '../errors/cleave-error.ts';
import { loadSigningKey } from './signing-key.ts';
import type { SigningKey } from './signing-key.ts';
import { UserTokens } from './user-tokens.ts';

const options = { issuer: 'cleave:test', audience: 'test-api', accessTokenTtlSeconds: 900 };
const now = () => Math.floor(Date.now() / 1000);

async function refusal(promise: Promise<unknown>): Promise<CleaveError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CleaveError);
  expect((err as CleaveError).code).toBe('cleave.UNAUTHENTICATED');
  expect((err as CleaveError).status).toBe(401);
  return err as CleaveError;
}

describe('UserTokens', () => {
  let key: SigningKey;
  let tokens: UserTokens;

  // A token as `issue` makes it, with parts overridable, signed by `signer` (default: the real key).
  const craft = (
    claims: Record<string, unknown>,
    overrides: { iss?: string; aud?: string; exp?: number; typ?: string } = {},
    signer: CryptoKey = key.privateKey,
  ) =>
    new SignJWT({ sid: 's1', ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: overrides.typ ?? 'at+jwt' })
      .setSubject('u1')
      .setIssuer(overrides.iss ?? options.issuer)
      .setAudience(overrides.aud ?? options.audience)
      .setIssuedAt()
      .setExpirationTime(overrides.exp ?? now() + 600)
      .sign(signer);

  beforeAll(async () => {
    key = await loadSigningKey({ name: 'user-tokens' }); // no dir: an ephemeral key
    tokens = new UserTokens(key, options);
  });

  it('issues a token that verifies back to its claims', async () => {
    const token = await tokens.issue({ sub: 'user-1', sid: 'session-1' });
    const claims = await tokens.verify(token);
    expect(claims.sub).toBe('user-1');
    expect(claims.sid).toBe('session-1');
    expect(claims.exp).toBeGreaterThanOrEqual(now() + 899);
    expect(claims.exp).toBeLessThanOrEqual(now() + 901);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' });
    expect(tokens.ttlSeconds).toBe(900);
  });

  it('accepts a token crafted like issue() does (sanity check of the helper)', async () => {
    await expect(tokens.verify(await craft({}))).resolves.toMatchObject({ sub: 'u1', sid: 's1' });
  });

  it('refuses an unsigned token (alg "none")', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
    const payload = base64url.encode(
      JSON.stringify({ sub: 'admin', sid: 's1', iss: options.issuer, aud: options.audience, iat: now(), exp: now() + 600 }),
    );
    await refusal(tokens.verify(`${header}.${payload}.`));
  });

  it('refuses an HMAC-signed token (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const token = await new SignJWT({ sid: 's1' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject('admin')
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(secret);
    const err = await refusal(tokens.verify(token));
    expect(err.detail).toMatch(/not valid/);
  });

  it('refuses an expired token, saying it expired', async () => {
    const token = await craft({}, { exp: now() - 60 });
    const err = await refusal(tokens.verify(token));
    expect(err.detail).toContain('expired');
  });

  it('refuses a token for another audience', async () => {
    await refusal(tokens.verify(await craft({}, { aud: 'other-api' })));
  });

  it('refuses a token from another issuer', async () => {
    await refusal(tokens.verify(await craft({}, { iss: 'cleave:evil' })));
  });

  it('refuses a token of another type', async () => {
    await refusal(tokens.verify(await craft({}, { typ: 'JWT' })));
  });

  it('refuses a token without a session id', async () => {
    const err = await refusal(tokens.verify(await craft({ sid: undefined })));
    expect(err.detail).toMatch(/lacks required claims/);
  });

  it('refuses a token signed by another Ed25519 key', async () => {
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const err = await refusal(tokens.verify(await craft({}, {}, other.privateKey)));
    expect(err.detail).toMatch(/signature/i);
  });

  it('refuses a token issued by another UserTokens with its own key', async () => {
    const stranger = new UserTokens(await loadSigningKey({ name: 'user-tokens' }), options);
    await refusal(tokens.verify(await stranger.issue({ sub: 'u1', sid: 's1' })));
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = (await tokens.issue({ sub: 'u1', sid: 's1' })).split('.');
    const forged = base64url.encode(JSON.stringify({ sub: 'admin', sid: 's1', iss: options.issuer, aud: options.audience, iat: now(), exp: now() + 600 }));
    await refusal(tokens.verify(`${h}.${forged}.${s}`));
  });

  it('refuses garbage', async () => {
    await refusal(tokens.verify('not-a-jwt'));
  });

  describe('verifyCached', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('returns the same claims as verify, and refuses what verify refuses', async () => {
      const token = await tokens.issue({ sub: 'user-1', sid: 'session-1' });
      const first = await tokens.verifyCached(token);
      expect(first).toEqual(await tokens.verify(token));
      await expect(tokens.verifyCached(token)).resolves.toEqual(first);
      await refusal(tokens.verifyCached(await craft({}, { aud: 'other-api' })));
      await refusal(tokens.verifyCached('not-a-jwt'));
    });

    it('does not serve a cached token past its expiry', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const shortLived = new UserTokens(key, { ...options, accessTokenTtlSeconds: 5 });
      const token = await shortLived.issue({ sub: 'u1', sid: 's1' });
      await expect(shortLived.verifyCached(token)).resolves.toMatchObject({ sub: 'u1' });
      vi.setSystemTime(Date.now() + 10_000);
      const err = await refusal(shortLived.verifyCached(token));
      expect(err.detail).toContain('expired');
    });
  });
});
