import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';

export const SIGNING_ALG = 'EdDSA';

/** An Ed25519 key pair with its key id; the public half is published in a JWKS. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

export interface SigningKeySource {
  /** Name of the key (`user-tokens`, `service-<name>`): the file name under `dir`. */
  readonly name: string;
  /** Folder for generated keys (`.data/keys`); absent → an ephemeral key in memory. */
  readonly dir?: string | undefined;
  /** A private JWK as JSON (production: from a secret store via env). Wins over `dir`. */
  readonly privateJwk?: string | undefined;
}

/**
 * Loads a signing key from the environment or `dir`, generating and saving one (mode
 * 0600) when absent, so a development setup needs no manual key handling.
 */
export async function loadSigningKey(source: SigningKeySource): Promise<SigningKey> {
  if (source.privateJwk) return fromPrivateJwk(JSON.parse(source.privateJwk) as JWK);
  if (source.dir === undefined) return fromPrivateJwk(await generatePrivateJwk());
  const file = join(source.dir, `${source.name}.private.jwk.json`);
  try {
    return await fromPrivateJwk(JSON.parse(await readFile(file, 'utf8')) as JWK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const jwk = await generatePrivateJwk();
  await mkdir(source.dir, { recursive: true });
  try {
    await writeFile(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process generated it first (several services starting at once): use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return fromPrivateJwk(JSON.parse(await readFile(file, 'utf8')) as JWK);
  }
  return fromPrivateJwk(jwk);
}

export async function generatePrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true, crv: 'Ed25519' });
  return exportJWK(privateKey);
}

async function fromPrivateJwk(jwk: JWK): Promise<SigningKey> {
  const { d: _private, ...publicPart } = jwk;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicPart));
  const publicJwk: JWK = { ...publicPart, kid, alg: SIGNING_ALG, use: 'sig' };
  const privateKey = (await importJWK({ ...jwk, kid }, SIGNING_ALG)) as CryptoKey;
  const publicKey = (await importJWK(publicJwk, SIGNING_ALG)) as CryptoKey;
  return { kid, privateKey, publicKey, publicJwk };
}
