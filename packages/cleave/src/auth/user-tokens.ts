import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { errors } from '../errors/framework-errors.ts';
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
