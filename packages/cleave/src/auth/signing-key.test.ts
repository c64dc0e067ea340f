import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKey, SIGNING_ALG } from './signing-key.ts';

describe('loadSigningKey', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cleave-keys-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('generates a key file with mode 0600 on first load and returns the same key on the next', async () => {
    const keysDir = join(dir, 'keys'); // created on demand
    const first = await loadSigningKey({ name: 'user-tokens', dir: keysDir });
    const file = join(keysDir, 'user-tokens.private.jwk.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(typeof saved.d).toBe('string');

    const second = await loadSigningKey({ name: 'user-tokens', dir: keysDir });
    expect(second.kid).toBe(first.kid);
    expect(second.publicJwk).toEqual(first.publicJwk);
    // The reloaded private key signs what the first public key verifies.
    const token = await new SignJWT({}).setProtectedHeader({ alg: SIGNING_ALG }).sign(second.privateKey);
    await expect(jwtVerify(token, first.publicKey)).resolves.toBeDefined();
  });

  it('keeps keys of different names apart', async () => {
    const a = await loadSigningKey({ name: 'a', dir });
    const b = await loadSigningKey({ name: 'b', dir });
    expect(a.kid).not.toBe(b.kid);
  });

  it('publishes only the public half', async () => {
    const key = await loadSigningKey({ name: 'pub', dir });
    expect(key.publicJwk).not.toHaveProperty('d');
    expect(key.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: key.kid, alg: 'EdDSA', use: 'sig' });
  });

  it('lets privateJwk win over dir', async () => {
    const fromDir = await loadSigningKey({ name: 'env-wins', dir });
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'from-env' };
    const fromEnv = await loadSigningKey({ name: 'env-wins', dir, privateJwk: JSON.stringify(jwk) });
    expect(fromEnv.kid).toBe('from-env');
    expect(fromEnv.publicJwk.x).toBe(jwk.x);
    expect(fromEnv.kid).not.toBe(fromDir.kid);
  });

  it('derives a stable kid (the JWK thumbprint) for a privateJwk without one', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const json = JSON.stringify(await exportJWK(privateKey));
    const a = await loadSigningKey({ name: 'x', privateJwk: json });
    const b = await loadSigningKey({ name: 'x', privateJwk: json });
    expect(a.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.kid).toBe(a.kid);
  });

  it('makes an ephemeral key, different every time, without dir', async () => {
    const a = await loadSigningKey({ name: 'eph' });
    const b = await loadSigningKey({ name: 'eph' });
    expect(a.kid).not.toBe(b.kid);
  });
});
