/**
 * The seed's naive split, the baseline of bench/gateway-aggregate.ts: a plain node:http
 * "gateway" whose GET /api/v1/posts/:id makes two `fetch` calls, to a plain node:http
 * posts service and then a plain node:http users service, and merges the answers. No
 * validation, no auth, no rate limits, no tracing; data in memory.
 *
 *   NAIVE_ROLE=posts|users|gateway PORT=... node --import tsx bench/lib/naive-service.ts
 *
 * posts and users serve one record each, given as JSON in NAIVE_POST / NAIVE_USER (the
 * bench passes what the Cleave app returned, so every target answers the same bytes);
 * the gateway reads POSTS_URL and USERS_URL.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';

const role = process.env.NAIVE_ROLE;
const port = Number(process.env.PORT);

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function byId(prefix: string, record: { id: string }): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.url === '/healthz') return json(res, 200, { status: 'ok' });
    if (req.url === `${prefix}${record.id}`) return json(res, 200, record);
    json(res, 404, { error: 'not found' });
  };
}

function gateway(postsUrl: string, usersUrl: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.url === '/healthz') return json(res, 200, { status: 'ok' });
    const match = req.method === 'GET' ? /^\/api\/v1\/posts\/([^/?]+)$/.exec(req.url ?? '') : null;
    if (!match) return json(res, 404, { error: 'not found' });
    void (async () => {
      const postRes = await fetch(`${postsUrl}/posts/${match[1]}`);
      if (postRes.status !== 200) return json(res, postRes.status, await postRes.json());
      const post = (await postRes.json()) as { authorId: string };
      const userRes = await fetch(`${usersUrl}/users/${post.authorId}`);
      json(res, 200, { ...post, author: userRes.status === 200 ? await userRes.json() : null });
    })().catch((err: unknown) => json(res, 500, { error: String(err) }));
  };
}

const handler =
  role === 'posts'
    ? byId('/posts/', JSON.parse(process.env.NAIVE_POST ?? '') as { id: string })
    : role === 'users'
      ? byId('/users/', JSON.parse(process.env.NAIVE_USER ?? '') as { id: string })
      : role === 'gateway'
        ? gateway(process.env.POSTS_URL ?? '', process.env.USERS_URL ?? '')
        : undefined;
if (handler === undefined || !Number.isInteger(port)) throw new Error('set NAIVE_ROLE (posts, users or gateway) and PORT');
const server = createServer(handler);
server.keepAliveTimeout = 5_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
