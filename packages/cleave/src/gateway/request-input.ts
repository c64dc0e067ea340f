import type { Context } from 'hono';
import { errors } from '../errors/framework-errors.ts';
import type { HttpMethod } from '../module/contract.ts';
import { guardInput } from './input-guard.ts';

const BODY_METHODS: ReadonlySet<HttpMethod> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * An operation's input from an HTTP request: path parameters, plus the query string
 * (GET, DELETE) or the JSON body (POST, PUT, PATCH). Path parameters win, so a body
 * cannot retarget `/posts/:id` at another post. Strings no database can store and
 * absurd nesting are refused here, field named, before any module sees them.
 */
export async function readRequestInput(c: Context, method: HttpMethod): Promise<Record<string, unknown>> {
  const input = await readRaw(c, method);
  guardInput(input, 'invalid input');
  return input;
}

async function readRaw(c: Context, method: HttpMethod): Promise<Record<string, unknown>> {
  const params = c.req.param() as Record<string, string>;
  if (!BODY_METHODS.has(method)) return { ...c.req.query(), ...params };
  const text = await c.req.text();
  if (text.trim() === '') return { ...params };
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw errors.UNSUPPORTED_MEDIA_TYPE(`send the body as application/json (got "${type || 'no content-type'}")`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw errors.MALFORMED_JSON(err instanceof Error ? err.message : undefined);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw errors.VALIDATION_FAILED('the body must be a JSON object', { errors: [{ path: '', message: 'expected an object', code: 'invalid_type' }] });
  }
  return { ...(body as Record<string, unknown>), ...params };
}
