import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errors } from '../errors/framework-errors.ts';
import type { GatewayEnv } from './gateway-env.ts';
import type { IdempotencyStore } from './idempotency-store.ts';

const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Stripe's limit; visible ASCII only, since the key travels in a header. */
const MAX_KEY_LENGTH = 255;
// Answers that say "not now", not "this is the outcome": a retry must run again.
const NOT_STORED: ReadonlySet<number> = new Set([408, 409, 425, 429]);

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** Checks the `Idempotency-Key` header; `undefined` when absent. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  // The draft sends the key as a structured-field string ("…"); most clients send it bare.
  const key = /^"(.*)"$/.exec(header)?.[1] ?? header;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw errors.IDEMPOTENCY_KEY_INVALID(`the Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters`, { maxLength: MAX_KEY_LENGTH });
  }
  return key;
}

/**
 * `Idempotency-Key` on every unsafe route of a signed-in user (IETF
 * draft-ietf-httpapi-idempotency-key-header, as Stripe does it): the first request
 * claims the key with a fingerprint of method, path and body; its answer (< 500) is
 * stored and replayed; the same key with another request is 422, and while the first is
 * still running 409. A 5xx gives the key up, so the client's retry runs again — the
 * module's own `ctx.idempotent` then makes sure its writes happen once.
 *
 * Anonymous routes (signup, login) are left out: their answers carry fresh tokens, which
 * must not be stored, nor replayed to whoever guesses a key.
 */
export function idempotency(store: IdempotencyStore, leaseMs: number): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    if (!UNSAFE_METHODS.has(c.req.method)) return next();
    const key = idempotencyKeyOf(c.req.header(IDEMPOTENCY_HEADER));
    const user = c.get('user');
    if (key === undefined || user === undefined) return next();
    const fingerprint = createHash('sha256').update(`${c.req.method} ${c.req.path}\n`).update(await c.req.text()).digest('base64url');
    const claim = await store.claim(user.id, key, fingerprint, leaseMs);
    if (claim.kind === 'mismatch') throw errors.IDEMPOTENCY_KEY_REUSED('this Idempotency-Key was first used with another method, path or body');
    if (claim.kind === 'in_flight') throw errors.IDEMPOTENCY_IN_FLIGHT('the first request with this Idempotency-Key has not finished; retry later');
    if (claim.kind === 'replay') {
      const { status, contentType, body } = claim.response;
      c.header('idempotent-replayed', 'true');
      if (contentType) c.header('content-type', contentType);
      return c.body(body as string, status as 200);
    }
    let stored = false;
    try {
      await next();
      if (c.res.status < 500 && !NOT_STORED.has(c.res.status)) {
        const body = c.res.status === 204 ? null : await c.res.clone().text();
        await store.complete(user.id, key, { status: c.res.status, contentType: c.res.headers.get('content-type'), body });
        stored = true;
      }
    } finally {
      if (!stored) await store.release(user.id, key);
    }
  };
}
