import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bytes, rawOutput } from '../module/raw-body.ts';
import { buildOpenApi } from './openapi.ts';
import type { PublicRoute } from './public-route.ts';

const Post = z.object({ id: z.string(), title: z.string() });

const routes: PublicRoute[] = [
  {
    operationId: 'posts.getPost',
    tag: 'posts',
    http: { method: 'GET', path: '/posts/:id', auth: 'public', summary: 'One post' },
    input: z.object({ id: z.string().min(1), expand: z.enum(['author']).optional() }),
    output: Post,
    description: 'A post by id',
  },
  {
    operationId: 'posts.listPosts',
    tag: 'posts',
    http: { method: 'GET', path: '/posts' },
    input: z.object({ limit: z.coerce.number().int().default(20), authorId: z.string().optional() }),
    output: z.object({ items: z.array(Post) }),
  },
  {
    operationId: 'posts.createPost',
    tag: 'posts',
    http: { method: 'POST', path: '/posts', status: 201 },
    input: z.object({ title: z.string().min(1), body: z.string().optional() }).strict(),
    output: Post,
  },
  {
    operationId: 'posts.deletePost',
    tag: 'posts',
    http: { method: 'DELETE', path: '/posts/:id', status: 204 },
    input: z.object({ id: z.string() }),
    output: z.object({ deleted: z.literal(true) }),
  },
  {
    operationId: 'media.upload',
    tag: 'media',
    http: { method: 'POST', path: '/posts/:id/image', status: 202, body: 'raw', contentTypes: ['image/png', 'image/webp'] },
    input: z.object({ id: z.string(), body: bytes(), contentType: z.string() }),
    output: z.object({ imageId: z.string() }),
  },
  {
    operationId: 'media.get',
    tag: 'media',
    http: { method: 'GET', path: '/media/:imageId', auth: 'public' },
    input: z.object({ imageId: z.string() }),
    output: rawOutput,
  },
  {
    operationId: 'auth.logout',
    tag: 'auth',
    http: { method: 'POST', path: '/auth/logout', auth: 'public', status: 204 },
    input: z.object({ refreshToken: z.string() }),
    output: undefined,
  },
];

type Doc = {
  openapi: string;
  info: unknown;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
type Operation = {
  operationId: string;
  tags: string[];
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  security: unknown[];
};

const doc = buildOpenApi({ title: 'Test API', version: '1.2.3' }, routes) as unknown as Doc;
const op = (path: string, method: string): Operation => {
  const found = doc.paths[path]?.[method];
  if (found === undefined) throw new Error(`no ${method} ${path} in the document`);
  return found;
};

describe('buildOpenApi', () => {
  it('is an OpenAPI 3.1 document with info, the Problem schema and bearer auth', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'Test API', version: '1.2.3' });
    expect(doc.components.schemas).toHaveProperty('Problem');
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it('writes paths under /api/v1 with {param} templates and groups methods of one path', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/v1/auth/logout', '/api/v1/media/{imageId}', '/api/v1/posts', '/api/v1/posts/{id}', '/api/v1/posts/{id}/image']);
    expect(Object.keys(doc.paths['/api/v1/posts/{id}'] ?? {}).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths['/api/v1/posts'] ?? {}).sort()).toEqual(['get', 'post']);
  });

  it('describes a path parameter with its schema, and other GET input as query parameters', () => {
    const get = op('/api/v1/posts/{id}', 'get');
    expect(get.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string', minLength: 1 } },
      { name: 'expand', in: 'query', required: false, schema: { type: 'string', enum: ['author'] } },
    ]);
    expect(get.requestBody).toBeUndefined();
    expect(get).toMatchObject({ operationId: 'posts.getPost', tags: ['posts'], summary: 'One post', description: 'A post by id' });
  });

  it('marks required query parameters', () => {
    const list = op('/api/v1/posts', 'get');
    const byName = Object.fromEntries((list.parameters ?? []).map((p) => [p.name, p]));
    expect(byName.authorId).toMatchObject({ in: 'query', required: false });
    // A field with a default is optional on input.
    expect(byName.limit).toMatchObject({ in: 'query', required: false });
    expect(list).not.toHaveProperty('summary');
  });

  it('describes a POST input as a JSON request body', () => {
    const create = op('/api/v1/posts', 'post');
    expect(create.parameters).toBeUndefined();
    expect(create.requestBody?.required).toBe(true);
    const schema = create.requestBody?.content['application/json']?.schema;
    expect(schema).toMatchObject({ type: 'object', required: ['title'], additionalProperties: false });
    expect(Object.keys((schema?.properties ?? {}) as object).sort()).toEqual(['body', 'title']);
    expect(create.responses['201']?.content?.['application/json']).toBeDefined();
    expect(create.responses).not.toHaveProperty('200');
  });

  it('describes a raw body as binary per accepted type, and a raw output as binary', () => {
    const upload = op('/api/v1/posts/{id}/image', 'post');
    expect(upload.requestBody).toEqual({
      required: true,
      content: { 'image/png': { schema: { type: 'string', format: 'binary' } }, 'image/webp': { schema: { type: 'string', format: 'binary' } } },
    });
    expect(upload.responses).toHaveProperty('413');
    expect(upload.responses).toHaveProperty('415');
    expect(upload.responses['202']?.content?.['application/json']).toBeDefined();
    expect(op('/api/v1/media/{imageId}', 'get').responses['200']?.content).toEqual({ '*/*': { schema: { type: 'string', format: 'binary' } } });
  });

  it('gives a 204 answer no content', () => {
    expect(op('/api/v1/posts/{id}', 'delete').responses['204']).toEqual({ description: 'No content' });
    expect(op('/api/v1/auth/logout', 'post').responses['204']).toEqual({ description: 'No content' });
  });

  it('documents problem answers for errors', () => {
    const get = op('/api/v1/posts/{id}', 'get');
    expect(get.responses['400']?.content?.['application/problem+json']?.schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(get.responses).toHaveProperty('429');
    expect(get.responses).toHaveProperty('default');
  });

  it('requires a bearer token on user routes and none on public ones', () => {
    expect(op('/api/v1/posts', 'post').security).toEqual([{ bearerAuth: [] }]);
    expect(op('/api/v1/posts', 'post').responses).toHaveProperty('401');
    expect(op('/api/v1/posts', 'get').security).toEqual([{ bearerAuth: [] }]); // auth defaults to 'user'
    expect(op('/api/v1/posts/{id}', 'get').security).toEqual([]);
    expect(op('/api/v1/posts/{id}', 'get').responses).not.toHaveProperty('401');
    expect(op('/api/v1/auth/logout', 'post').security).toEqual([]);
  });

  it('does not put path parameters in the request body', () => {
    const d = buildOpenApi({ title: 't', version: '1' }, [
      {
        operationId: 'posts.updatePost',
        tag: 'posts',
        http: { method: 'PATCH', path: '/posts/:id' },
        input: z.object({ id: z.string(), title: z.string() }).strict(),
        output: Post,
      },
    ]) as unknown as Doc;
    const patch = d.paths['/api/v1/posts/{id}']?.patch;
    expect(patch?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id']);
    const schema = patch?.requestBody?.content['application/json']?.schema;
    expect(Object.keys((schema?.properties ?? {}) as object)).toEqual(['title']);
    expect(schema?.required).toEqual(['title']);
  });

  // Regression: the body schema must not keep the path parameter in `required`
  // (with a strict input, no body could satisfy it; PATCH /posts/:id was documented so).
  it('does not require a path parameter in the body when every body field is optional', () => {
    const d = buildOpenApi({ title: 't', version: '1' }, [
      {
        operationId: 'posts.updatePost',
        tag: 'posts',
        http: { method: 'PATCH', path: '/posts/:id' },
        input: z.object({ id: z.string(), title: z.string().optional(), body: z.string().optional() }).strict(),
        output: Post,
      },
    ]) as unknown as Doc;
    const body = d.paths['/api/v1/posts/{id}']?.patch?.requestBody;
    expect(body?.required).toBe(false);
    expect(body?.content['application/json']?.schema).not.toHaveProperty('required');
  });
});
