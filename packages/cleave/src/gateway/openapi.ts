import { z } from 'zod';
import type { PublicRoute } from './public-route.ts';
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
    let responses413 = false;
    if (bodyMethod && route.http.body === 'raw') {
      // The body is the bytes themselves; the other input fields come from the path and query.
      const binary = { schema: { type: 'string', format: 'binary' } };
      requestBody = { required: true, content: Object.fromEntries((route.http.contentTypes ?? ['application/octet-stream']).map((t) => [t, binary])) };
      responses413 = true;
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
      '400': problem('Invalid input, with field-level errors'),
      '429': problem('Rate limited; see Retry-After'),
      default: problem('Error'),
    };
    if (auth === 'user') responses['401'] = problem('Missing or invalid access token');
    if (responses413) {
      responses['413'] = problem('The body is over the limit');
      responses['415'] = problem('A Content-Type the route does not take');
    }
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
