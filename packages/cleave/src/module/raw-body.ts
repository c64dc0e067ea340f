import { z } from 'zod';

/**
 * Raw bodies: an operation whose input or output has a `body` field holding bytes
 * (a `Uint8Array`) is a *raw message*. In process the bytes pass by reference; over the
 * internal HTTP protocol they travel as the HTTP body and the other fields as one header
 * (see transport/raw-wire.ts); at the gateway an operation exposed with
 * `http: { body: 'raw' }` reads the request body as bytes, and a raw output is sent as
 * bytes with its content type and caching headers. JSON stays the default everywhere.
 */

/** Bytes, at most `maxBytes` of them: the schema of a raw message's `body` field. */
export function bytes(options: { maxBytes?: number; minBytes?: number } = {}) {
  const { maxBytes = Number.POSITIVE_INFINITY, minBytes = 0 } = options;
  return z
    .custom<Uint8Array>((value) => value instanceof Uint8Array, { message: 'expected bytes' })
    .refine((value) => value.byteLength >= minBytes, { message: `must have at least ${minBytes} bytes` })
    .refine((value) => value.byteLength <= maxBytes, { message: `must have at most ${maxBytes} bytes` })
    // How the bytes appear in exported JSON Schemas (OpenAPI, contract export).
    .meta({ type: 'string', format: 'binary', ...(minBytes > 0 ? { minBytes } : {}), ...(Number.isFinite(maxBytes) ? { maxBytes } : {}) });
}

/**
 * The output of an operation that answers with bytes (an image, a file), e.g.
 * `output: rawOutput` in the contract. `etag` and `cacheControl` become the HTTP
 * headers of the same names at the gateway, which also answers `If-None-Match` with 304.
 */
export const rawOutput = z.object({
  body: bytes(),
  contentType: z.string().min(1),
  etag: z.string().optional(),
  cacheControl: z.string().optional(),
});
export type RawOutput = z.output<typeof rawOutput>;

/** A value whose `body` field is bytes: travels as a raw message. */
export function isRawMessage(value: unknown): value is { body: Uint8Array } & Record<string, unknown> {
  return typeof value === 'object' && value !== null && (value as { body?: unknown }).body instanceof Uint8Array;
}
