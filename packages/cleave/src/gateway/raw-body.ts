import type { Context, MiddlewareHandler } from 'hono';
import { errors } from '../errors/framework-errors.ts';
import type { AnyContract, AnyOperation, HttpExposure } from '../module/contract.ts';
import { bodySizeLimit } from '../http/body-size-limit.ts';
import { API_PREFIX } from './public-route.ts';

/**
 * The gateway's side of raw bodies (module/raw-body.ts): routes exposed with
 * `http: { body: 'raw' }` get their own size limit and content types, read the body
 * as bytes, and raw outputs leave as bytes with caching headers.
 */

interface RawRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly maxBytes: number;
}

/** The default limit of a raw body when the operation names none. */
export const DEFAULT_RAW_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

function rawRoutes(contracts: readonly AnyContract[]): RawRoute[] {
  const routes: RawRoute[] = [];
  for (const contract of contracts) {
    for (const op of Object.values(contract.$operations) as AnyOperation[]) {
      if (op.http?.body !== 'raw') continue;
      // Hono-style `:param` segments; the few raw routes make a linear scan cheap.
      const source = (API_PREFIX + op.http.path).split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
      routes.push({ method: op.http.method, pattern: new RegExp(`^${source}/?$`), maxBytes: op.http.maxBytes ?? DEFAULT_RAW_BODY_LIMIT_BYTES });
    }
  }
  return routes;
}

/** The body limit of every `/api/v1` request: the JSON limit, or a raw route's own. */
export function limitBodies(jsonLimitBytes: number, contracts: readonly AnyContract[]): MiddlewareHandler {
  const tooLarge = (limitBytes: number) => () => errors.PAYLOAD_TOO_LARGE(`the body exceeds ${limitBytes} bytes`, { limitBytes });
  const json = bodySizeLimit(jsonLimitBytes, tooLarge(jsonLimitBytes));
  const raw = rawRoutes(contracts).map((route) => ({ ...route, limit: bodySizeLimit(route.maxBytes, tooLarge(route.maxBytes)) }));
  return (c, next) => {
    const route = raw.find((r) => r.method === c.req.method && r.pattern.test(c.req.path));
    return (route?.limit ?? json)(c, next);
  };
}

/** `image/png; charset=x` → `image/png`. */
export function essence(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A raw route's input: path parameters and query, the body's bytes and its declared type. */
export async function readRawInput(c: Context, http: HttpExposure): Promise<Record<string, unknown>> {
  const contentType = essence(c.req.header('content-type'));
  if (http.contentTypes && !http.contentTypes.includes(contentType)) {
    throw errors.UNSUPPORTED_MEDIA_TYPE(`send one of ${http.contentTypes.join(', ')} (got "${contentType || 'no content-type'}")`, { accepted: [...http.contentTypes] });
  }
  const body = new Uint8Array(await c.req.arrayBuffer());
  return { ...c.req.query(), ...(c.req.param() as Record<string, string>), body, contentType };
}

/** Sends a raw output; a GET whose `If-None-Match` names the current ETag gets 304. */
export function respondRaw(c: Context, status: number, output: { body: Uint8Array; contentType?: unknown; etag?: unknown; cacheControl?: unknown }): Response {
  const headers: Record<string, string> = { 'content-type': typeof output.contentType === 'string' ? output.contentType : 'application/octet-stream' };
  if (typeof output.etag === 'string') headers.etag = output.etag;
  if (typeof output.cacheControl === 'string') headers['cache-control'] = output.cacheControl;
  const ifNoneMatch = c.req.header('if-none-match');
  if (headers.etag !== undefined && ifNoneMatch !== undefined && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
    const tags = ifNoneMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
    if (tags.includes('*') || tags.includes(headers.etag.replace(/^W\//, ''))) {
      const { 'content-type': _type, ...cacheHeaders } = headers;
      return c.body(null, 304, cacheHeaders);
    }
  }
  return c.body(output.body as Uint8Array<ArrayBuffer>, status as 200, headers);
}
