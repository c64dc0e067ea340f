import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, importJWK, SignJWT } from 'jose';
import type { JWK } from 'jose';

export interface ServiceKey {
  readonly kid: string | undefined;
  readonly privateKey: Parameters<SignJWT['sign']>[0];
  readonly publicJwk: JWK;
}

/** A split deployment's own key for `service`, read from its data directory (`keys/`). */
export async function serviceKey(dataDir: string, service: string): Promise<ServiceKey> {
  const jwk = JSON.parse(await readFile(join(dataDir, 'keys', `service-${service}.private.jwk.json`), 'utf8')) as JWK;
  const { d: _private, ...publicJwk } = jwk;
  // The framework's key id: the JWK thumbprint, as published in the service's JWKS.
  return { kid: jwk.kid ?? (await calculateJwkThumbprint(publicJwk)), privateKey: await importJWK(jwk, 'EdDSA'), publicJwk };
}

/** A valid service token from `issuer` to `audience`, signed as the framework signs one. */
export async function serviceToken(dataDir: string, issuer: string, audience: string): Promise<string> {
  const key = await serviceKey(dataDir, issuer);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', typ: 'svc+jwt', ...(key.kid === undefined ? {} : { kid: key.kid }) })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(key.privateKey);
}
