import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { errors } from '../errors/framework-errors.ts';
import { BoundedCache } from '../util/bounded-cache.ts';
import { SIGNING_ALG } from './signing-key.ts';
import type { SigningKey } from './signing-key.ts';

/** The claims Cleave puts in a user access token. */
export interface AccessTokenClaims {
  /** The user id. */
  readonly sub: string;
  /** The session (refresh-token family) this token was issued under; revoked on logout. */
  readonly sid: string;
}

export interface UserTokenOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime of an access token in seconds. Short: logout cannot recall a token. */
  readonly accessTokenTtlSeconds: number;
}

/** Signs and verifies short-lived EdDSA access JWTs (jose). */
export class UserTokens {
  readonly #key: SigningKey;
  readonly #options: UserTokenOptions;
  readonly #verified = new BoundedCache<AccessTokenClaims & { readonly exp: number }>(50_000);

  constructor(key: SigningKey, options: UserTokenOptions) {
    this.#key = key;
    this.#options = options;
  }

  get ttlSeconds(): number {
    return this.#options.accessTokenTtlSeconds;
  }

  issue(claims: AccessTokenClaims): Promise<string> {
    return new SignJWT({ sid: claims.sid })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: this.#key.kid, typ: 'at+jwt' })
      .setSubject(claims.sub)
      .setIssuer(this.#options.issuer)
      .setAudience(this.#options.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.#options.accessTokenTtlSeconds}s`)
      .setJti(randomUUID())
      .sign(this.#key.privateKey);
  }

  /**
   * `verify`, with verified tokens remembered until they expire: the gateway checks a
   * signature once per token, not once per request. Revocation is checked by the caller
   * on every request, so a cached token of a revoked session is still refused.
   */
  async verifyCached(token: string): Promise<AccessTokenClaims & { readonly exp: number }> {
    const cached = this.#verified.get(token);
    if (cached !== undefined) {
      if (cached.exp * 1000 > Date.now()) return cached;
      this.#verified.delete(token);
    }
    const claims = await this.verify(token);
    this.#verified.set(token, claims);
    return claims;
  }

  /**
   * Verifies signature, algorithm (EdDSA only: `none` and HMAC confusion are refused),
   * issuer, audience and expiry. Throws `cleave.UNAUTHENTICATED` with the reason.
   */
  async verify(token: string): Promise<AccessTokenClaims & { readonly exp: number }> {
    try {
      const { payload } = await jwtVerify(token, this.#key.publicKey, {
        algorithms: [SIGNING_ALG],
        issuer: this.#options.issuer,
        audience: this.#options.audience,
        typ: 'at+jwt',
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') {
        throw errors.UNAUTHENTICATED('the access token lacks required claims');
      }
      return { sub: payload.sub, sid: payload.sid, exp: payload.exp };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw errors.UNAUTHENTICATED('the access token has expired');
      if (err instanceof joseErrors.JOSEError) throw errors.UNAUTHENTICATED(`the access token is not valid (${err.code})`);
      throw err;
    }
  }
}
