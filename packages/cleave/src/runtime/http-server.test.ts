import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from './http-server.ts';
import type { HttpServer } from './http-server.ts';

// Raw bytes on a socket: these requests are ones fetch() refuses to send.
function exchange(server: HttpServer, ...chunks: (string | Buffer)[]): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(server.port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    for (const chunk of chunks) socket.write(chunk);
  });
}

const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
const problem = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { code: string; status: number };

describe('Node HTTP edge (issue 12)', () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await listen(() => new Response('ok'), 0, '127.0.0.1', { headersTimeoutMs: 1_000 });
  });
  afterAll(() => server.close());

  it('serves a plain request', async () => {
    const { text } = await exchange(server, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(status(text)).toBe(200);
  });

  it.each([
    ['a duplicate Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400, 'cleave.BAD_REQUEST'],
    ['a NUL in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u0000b\r\n\r\n', 400, 'cleave.BAD_REQUEST'],
    ['a bare CR in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n', 400, 'cleave.BAD_REQUEST'],
    ['headers over the limit', `GET / HTTP/1.1\r\nHost: a\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'cleave.HEADERS_TOO_LARGE'],
    ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n', 400, 'cleave.BAD_REQUEST'],
    ['an unknown expectation', 'GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nConnection: close\r\n\r\n', 417, 'cleave.EXPECTATION_FAILED'],
  ])('%s is answered with problem+json', async (_name, raw, expected, code) => {
    const { text } = await exchange(server, raw);
    expect(status(text)).toBe(expected);
    expect(text.toLowerCase()).toContain('content-type: application/problem+json');
    expect(problem(text)).toMatchObject({ status: expected, code });
  });

  it('a TLS ClientHello on the plain port gets a 400 problem, and the server stays up', async () => {
    const hello = Buffer.from('16030100a5010000a10303' + '00'.repeat(32), 'hex');
    const { text } = await exchange(server, hello);
    expect(status(text)).toBe(400);
    expect((await exchange(server, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).text).toContain('200 OK');
  });

  it('an empty Expect holds no expectation: the request is served', async () => {
    const { text } = await exchange(server, 'GET / HTTP/1.1\r\nHost: a\r\nExpect: \r\nConnection: close\r\n\r\n');
    expect(status(text)).toBe(200);
  });

  it('a slowloris client dripping headers is cut off soon after headersTimeout, with 408', async () => {
    const started = Date.now();
    const socket = connect(server.port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n');
    const drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 100);
    await new Promise((resolve) => socket.on('close', resolve));
    clearInterval(drip);
    // headersTimeout 1 s, checked every second: closed within about 2 s, not Node's default 30 s sweep.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(status(text)).toBe(408);
  });
});
