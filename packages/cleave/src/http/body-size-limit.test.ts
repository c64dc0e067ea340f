import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';
import { listen } from '../runtime/http-server.ts';
import type { HttpServer } from '../runtime/http-server.ts';
import { bodySizeLimit } from './body-size-limit.ts';

const LIMIT = 1024;

function app(): Hono {
  const hono = new Hono();
  hono.onError((err, c) => c.text(err instanceof CleaveError ? err.code : 'other', err instanceof CleaveError ? (err.status as 413) : 500));
  hono.use('*', bodySizeLimit(LIMIT, () => errors.PAYLOAD_TOO_LARGE('too large')));
  hono.all('*', async (c) => c.text(`read ${(await c.req.text()).length}`));
  return hono;
}

function chunked(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const chunk = new Uint8Array(Math.min(256, bytes - sent)).fill(97);
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
}

describe('bodySizeLimit on the wire (node:http)', () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await listen(app().fetch, 0, '127.0.0.1');
  });
  afterAll(() => server.close());

  it('passes a GET without a body', async () => {
    const res = await fetch(`${server.url}/x`);
    expect(await res.text()).toBe('read 0');
  });

  it('refuses a declared content-length over the limit', async () => {
    const res = await fetch(`${server.url}/x`, { method: 'POST', body: 'a'.repeat(LIMIT + 1) });
    expect(res.status).toBe(413);
  });

  it('refuses a chunked body once it streams past the limit, and passes a small one', async () => {
    const big = await fetch(`${server.url}/x`, { method: 'POST', body: chunked(LIMIT * 4), duplex: 'half' } as RequestInit);
    expect(big.status).toBe(413);
    const small = await fetch(`${server.url}/x`, { method: 'POST', body: chunked(100), duplex: 'half' } as RequestInit);
    expect(await small.text()).toBe('read 100');
  });
});

describe('bodySizeLimit off the wire (a web Request)', () => {
  it('still limits a streamed body that declares no length', async () => {
    const res = await app().request('/x', { method: 'POST', body: chunked(LIMIT * 4), duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
  });
});
