import { z } from 'zod';
import { errors } from '../errors/framework-errors.ts';
import type { PublicRoute, RouteError } from './public-route.ts';
import { API_PREFIX } from './public-route.ts';

type JsonSchema = Record<string, unknown>;

const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'code', 'traceId'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'Stable error code, e.g. cleave.VALIDATION_FAILED' },
    traceId: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } } },
    },
  },
};

function schemaOf(type: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(type, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return schema;
}

/** An output whose `body` is bytes (module/raw-body.ts) is sent as the bytes themselves. */
function isRawSchema(type: z.ZodType): boolean {
  return type instanceof z.ZodObject && type.shape.body !== undefined && (type.shape.body as z.ZodType).safeParse(new Uint8Array(0)).success;
}

function bodySchema(input: JsonSchema, properties: JsonSchema, required: string[]): JsonSchema {
  const { required: _all, ...rest } = input;
  return { ...rest, properties, ...(required.length ? { required } : {}) };
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** The framework's errors a route may answer with, by where they can occur. */
function frameworkErrors(options: { bodyMethod: boolean; pathParams: boolean; auth: 'user' | 'public' }): RouteError[] {
  const list: RouteError[] = [
    { code: errors.VALIDATION_FAILED.code, status: 400, title: 'Invalid input, with field-level errors' },
    { code: errors.RATE_LIMITED.code, status: 429, title: 'Rate limited; see Retry-After' },
    { code: errors.DEPENDENCY_UNAVAILABLE.code, status: 503, title: errors.DEPENDENCY_UNAVAILABLE.title },
    { code: errors.DEADLINE_EXCEEDED.code, status: 504, title: errors.DEADLINE_EXCEEDED.title },
  ];
  if (options.auth === 'user') list.push({ code: errors.UNAUTHENTICATED.code, status: 401, title: 'Missing or invalid access token' });
  if (options.pathParams) list.push({ code: errors.NOT_FOUND.code, status: 404, title: errors.NOT_FOUND.title });
  if (options.bodyMethod) {
    list.push({ code: errors.MALFORMED_JSON.code, status: 400, title: errors.MALFORMED_JSON.title });
    list.push({ code: errors.PAYLOAD_TOO_LARGE.code, status: 413, title: errors.PAYLOAD_TOO_LARGE.title });
    list.push({ code: errors.UNSUPPORTED_MEDIA_TYPE.code, status: 415, title: errors.UNSUPPORTED_MEDIA_TYPE.title });
  }
  return list;
}

/**
 * One response per status: the framework's errors where they can occur and the owning
 * contract's declared errors, each listed with its stable `code` (also as `x-codes`, for
 * generators), so a client knows what to match on.
 */
function errorResponses(route: PublicRoute, options: { bodyMethod: boolean; pathParams: boolean; auth: 'user' | 'public' }): Record<string, unknown> {
  const byStatus = new Map<number, RouteError[]>();
  for (const error of [...frameworkErrors(options), ...(route.errors ?? [])]) {
    const list = byStatus.get(error.status) ?? [];
    if (!list.some((e) => e.code === error.code)) list.push(error);
    byStatus.set(error.status, list);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      ...problem(list.map((e) => `\`${e.code}\`: ${e.title}`).join('; ')),
      'x-codes': list.map((e) => e.code),
    };
  }
  return responses;
}

/**
 * The OpenAPI 3.1 document of the public API, generated from the same route list the
 * gateway serves (contracts' exposed operations, aggregates, auth routes). OpenAPI 3.1
 * uses JSON Schema 2020-12, which Zod emits directly.
 */
export function buildOpenApi(info: { title: string; version: string }, routes: readonly PublicRoute[]): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const { method, path, auth = 'user', status = 200 } = route.http;
    const pathParams = [...path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
    const input = schemaOf(route.input, 'input');
    const properties = (input.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((input.required ?? []) as string[]);
    const parameters: unknown[] = pathParams.map((name) => ({ name, in: 'path', required: true, schema: properties[name] ?? { type: 'string' } }));
    const bodyMethod = method === 'POST' || method === 'PUT' || method === 'PATCH';
    let requestBody: unknown;
    if (bodyMethod && route.http.body === 'raw') {
      // The body is the bytes themselves; the other input fields come from the path and query.
      const binary = { schema: { type: 'string', format: 'binary' } };
      requestBody = { required: true, content: Object.fromEntries((route.http.contentTypes ?? ['application/octet-stream']).map((t) => [t, binary])) };
    } else if (bodyMethod) {
      const bodyProps = Object.fromEntries(Object.entries(properties).filter(([k]) => !pathParams.includes(k)));
      if (Object.keys(bodyProps).length > 0) {
        const bodyRequired = [...required].filter((k) => !pathParams.includes(k));
        requestBody = {
          required: bodyRequired.length > 0,
          // `required` is rebuilt without the path parameters (they are not in the body).
          content: { 'application/json': { schema: bodySchema(input, bodyProps, bodyRequired) } },
        };
      }
    } else {
      for (const [name, schema] of Object.entries(properties)) {
        if (!pathParams.includes(name)) parameters.push({ name, in: 'query', required: required.has(name), schema });
      }
    }
    const responses: Record<string, unknown> = {
      [String(status)]:
        route.output === undefined || status === 204
          ? { description: 'No content' }
          : isRawSchema(route.output)
            ? { description: 'The bytes, with Content-Type, ETag and Cache-Control', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } }
            : { description: 'Success', content: { 'application/json': { schema: schemaOf(route.output, 'output') } } },
      ...errorResponses(route, { bodyMethod, pathParams: pathParams.length > 0, auth }),
      default: problem('Error'),
    };
    const openApiPath = API_PREFIX + path.replace(/:(\w+)/g, '{$1}');
    paths[openApiPath] ??= {};
    paths[openApiPath][method.toLowerCase()] = {
      operationId: route.operationId,
      tags: [route.tag],
      ...(route.http.summary ? { summary: route.http.summary } : {}),
      ...(route.description ? { description: route.description } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
      ...(auth === 'user' ? { security: [{ bearerAuth: [] }] } : { security: [] }),
    };
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
