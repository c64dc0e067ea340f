import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { CleaveError } from '../errors/cleave-error.ts';

/**
 * Refuses bodies over `maxBytes`. With a `content-length` header (nearly every client
 * sends one) the header decides, without touching the body; only a chunked body falls
 * back to Hono's streaming limit. Hono's middleware alone makes the Node adapter build a
 * web Request and read every body through web streams: ~50 µs a call
 * (bench/http-call-latency.ts).
 */
export function bodySizeLimit(maxBytes: number, tooLarge: () => CleaveError): MiddlewareHandler {
  const streaming = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      const length = Number(declared);
      if (Number.isFinite(length) && length > maxBytes) throw tooLarge();
      return next();
    }
    return streaming(c, next);
  };
}
