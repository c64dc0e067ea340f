import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { CleaveError } from '../errors/cleave-error.ts';

/**
 * Refuses bodies over `maxBytes`. With a `content-length` header (nearly every client
 * sends one) the header decides, without touching the body; only a chunked body falls
 * back to Hono's streaming limit. Hono's middleware alone makes the Node adapter build a
 * web Request and read every body through web streams: ~50 µs a call
 * (bench/http-call-latency.ts). An HTTP/1.x request off Node's parser with neither
 * `content-length` nor `transfer-encoding` has no body at all (RFC 9112 §6.3), as with
 * nearly every GET: it passes without the web Request too (7% of the monolith's CPU on
 * the aggregated GET). Anything else (HTTP/2, where DATA frames carry the body, or a
 * Request not from the wire) keeps the streaming limit.
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
    const chunked = c.req.header('transfer-encoding') !== undefined;
    if (declared !== undefined && !chunked) {
      const length = Number(declared);
      if (Number.isFinite(length) && length > maxBytes) throw tooLarge();
      return next();
    }
    if (declared === undefined && !chunked && fromHttp1Wire(c.env)) return next();
    return streaming(c, next);
  };
}

/** True when the request came from Node's HTTP/1.x parser (@hono/node-server passes it as `env.incoming`). */
function fromHttp1Wire(env: unknown): boolean {
  const incoming = (env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.httpVersionMajor === 1;
}
