import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';
import { BoundedCache } from '../util/bounded-cache.ts';
import { SIGNING_ALG } from './signing-key.ts';
import type { SigningKey } from './signing-key.ts';

/** Service tokens live 5 minutes at most (the design's bound) and are renewed 1 minute early. */
export const SERVICE_TOKEN_TTL_SECONDS = 300;
const RENEW_BEFORE_MS = 60_000;
const TOKEN_TYPE = 'svc+jwt';

/** What a verified service token says: which service calls, for which end user. */
export interface ServiceCaller {
  readonly service: string;
  readonly userId: string | undefined;
}

/**
 * Signs the caller side's tokens: issuer = this service, audience = the callee service,
 * `sub` = the end user when there is one. Tokens are cached per (audience, user) and
 * renewed before they expire, so steady-state calls sign nothing.
 */
export class ServiceTokenIssuer {
  readonly #service: string;
  readonly #key: SigningKey;
  readonly #cache = new BoundedCache<{ token: string; renewAt: number }>(10_000);

  constructor(service: string, key: SigningKey) {
    this.#service = service;
    this.#key = key;
  }

  async tokenFor(audience: string, userId: string | undefined): Promise<string> {
    const cacheKey = `${audience}\u0000${userId ?? ''}`;
    const cached = this.#cache.get(cacheKey);
    if (cached && cached.renewAt > Date.now()) return cached.token;
    const jwt = new SignJWT({})
      .setProtectedHeader({ alg: SIGNING_ALG, kid: this.#key.kid, typ: TOKEN_TYPE })
      .setIssuer(this.#service)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(`${SERVICE_TOKEN_TTL_SECONDS}s`);
    if (userId !== undefined) jwt.setSubject(userId);
    const token = await jwt.sign(this.#key.privateKey);
    this.#cache.set(cacheKey, { token, renewAt: Date.now() + SERVICE_TOKEN_TTL_SECONDS * 1000 - RENEW_BEFORE_MS });
    return token;
  }
}

/** Finds the key set of a calling service, or undefined when the issuer is not a service we know. */
export type ServiceKeyResolver = (service: string) => JWTVerifyGetKey | undefined;

/**
 * Verifies tokens presented to this service: EdDSA only, audience = this service, issuer
 * = a known service whose published key signed it, not expired. A verified token is
 * cached until it expires, so the steady-state cost of auth on a call is a map lookup
 * rather than a ~100 µs signature check.
 */
export class ServiceTokenVerifier {
  readonly #audience: string;
  readonly #keys: ServiceKeyResolver;
  readonly #cache = new BoundedCache<{ caller: ServiceCaller; expiresAt: number }>(10_000);

  constructor(audience: string, keys: ServiceKeyResolver) {
    this.#audience = audience;
    this.#keys = keys;
  }

  async verify(token: string | undefined): Promise<ServiceCaller> {
    if (!token) throw errors.UNAUTHENTICATED('a service token is required');
    const cached = this.#cache.get(token);
    if (cached) {
      if (cached.expiresAt > Date.now()) return cached.caller;
      this.#cache.delete(token);
    }
    const issuer = unverifiedIssuer(token);
    const keys = issuer === undefined ? undefined : this.#keys(issuer);
    if (issuer === undefined || keys === undefined) throw errors.UNAUTHENTICATED('the service token is not from a known service');
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: [SIGNING_ALG],
        audience: this.#audience,
        issuer,
        typ: TOKEN_TYPE,
        requiredClaims: ['exp', 'iat'],
        maxTokenAge: `${SERVICE_TOKEN_TTL_SECONDS + 60}s`,
      });
      const iat = payload.iat as number;
      const exp = payload.exp as number;
      // Service tokens live 5 minutes at most, whatever `exp` a signer asked for.
      if (exp - iat > SERVICE_TOKEN_TTL_SECONDS) throw errors.UNAUTHENTICATED(`the service token lives longer than ${SERVICE_TOKEN_TTL_SECONDS}s`);
      const caller: ServiceCaller = { service: issuer, userId: typeof payload.sub === 'string' ? payload.sub : undefined };
      this.#cache.set(token, { caller, expiresAt: Math.min(exp, iat + SERVICE_TOKEN_TTL_SECONDS) * 1000 });
      return caller;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw errors.UNAUTHENTICATED('the service token has expired');
      // Not being able to fetch the caller's keys says nothing about the token: 503, so the
      // caller retries, rather than 401, which it must take as a final refusal.
      if (err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError)) {
        if (err instanceof CleaveError) throw err;
        throw errors.DEPENDENCY_UNAVAILABLE(`the key set of service "${issuer}" could not be fetched`, undefined, err);
      }
      throw errors.UNAUTHENTICATED(`the service token is not valid (${err.code}: ${err.message})`);
    }
  }
}

// The issuer picks which key set to check against; the signature check then proves it.
function unverifiedIssuer(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}
