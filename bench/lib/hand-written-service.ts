/**
 * The two hand-written baselines of bench/gateway-aggregate.ts, each serving the
 * aggregated GET /api/v1/posts/:id (post + author) from the PostgreSQL database the
 * Cleave monolith wrote, so every target answers the same bytes:
 *
 *   - HAND_ROLE=monolith: one node:http process that verifies the EdDSA bearer token with
 *     jose on every request and runs two `pg` queries (the post, then its author);
 *   - the naive seed-style split: HAND_ROLE=gateway (node:http, the same jose verify,
 *     then two `fetch` hops) in front of HAND_ROLE=posts and HAND_ROLE=users (node:http,
 *     one `pg` query each).
 *
 * No validation, no rate limits, no tracing: the floor a framework is measured against.
 *
 *   HAND_ROLE=... PORT=... HAND_DATABASE_URL=... HAND_JWK='{"kty":"OKP",...}' \
 *     node --import tsx bench/lib/hand-written-service.ts
 *
 * The gateway reads POSTS_URL and USERS_URL.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { importJWK, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import pg from 'pg';

export const HAND_TOKEN = { issuer: 'hand-written', audience: 'hand-written-api', typ: 'at+jwt' } as const;

const role = process.env.HAND_ROLE;
const port = Number(process.env.PORT);

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

interface PostRow {
  id: string;
  title: string;
  body: string;
  author_id: string;
  author_name: string;
  created_at: Date;
  updated_at: Date;
  published_at: Date | null;
  image: string | null;
}

function database(): { post(id: string): Promise<object | undefined>; user(id: string): Promise<object | undefined> } {
  const pool = new pg.Pool({ connectionString: process.env.HAND_DATABASE_URL, max: 10 });
  return {
    async post(id) {
      const { rows } = await pool.query<PostRow>('select id, title, body, author_id, author_name, created_at, updated_at, published_at, image from posts.posts where id = $1', [id]);
      const r = rows[0];
      if (!r) return undefined;
      return { id: r.id, title: r.title, body: r.body, authorId: r.author_id, authorName: r.author_name, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(), publishedAt: r.published_at === null ? null : r.published_at.toISOString(), image: r.image === null ? null : (JSON.parse(r.image) as unknown) };
    },
    async user(id) {
      const { rows } = await pool.query<{ id: string; name: string }>('select id, name from users.users where id = $1', [id]);
      return rows[0] ? { id: rows[0].id, name: rows[0].name } : undefined;
    },
  };
}

/** jose verify of `Authorization: Bearer`, on every request (no cache): what a hand-written edge does. */
async function authenticator(): Promise<(req: IncomingMessage) => Promise<boolean>> {
  const key = await importJWK(JSON.parse(process.env.HAND_JWK ?? '') as JWK, 'EdDSA');
  return async (req) => {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!match?.[1]) return false;
    try {
      await jwtVerify(match[1], key, { algorithms: ['EdDSA'], issuer: HAND_TOKEN.issuer, audience: HAND_TOKEN.audience, typ: HAND_TOKEN.typ, requiredClaims: ['sub', 'exp'] });
      return true;
    } catch {
      return false;
    }
  };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** An edge answering GET /api/v1/posts/:id with `aggregate(id)`, after the token check. */
async function edge(aggregate: (id: string) => Promise<[number, unknown]>): Promise<Handler> {
  const authenticated = await authenticator();
  return (req, res) => {
    if (req.url === '/healthz') return json(res, 200, { status: 'ok' });
    const match = req.method === 'GET' ? /^\/api\/v1\/posts\/([^/?]+)$/.exec(req.url ?? '') : null;
    if (!match?.[1]) return json(res, 404, { error: 'not found' });
    const id = decodeURIComponent(match[1]);
    void (async () => {
      if (!(await authenticated(req))) return json(res, 401, { error: 'unauthenticated' });
      const [status, body] = await aggregate(id);
      json(res, status, body);
    })().catch((err: unknown) => json(res, 500, { error: String(err) }));
  };
}

function monolith(): Promise<Handler> {
  const db = database();
  return edge(async (id) => {
    const post = (await db.post(id)) as { authorId: string } | undefined;
    if (!post) return [404, { error: 'not found' }];
    return [200, { ...post, author: (await db.user(post.authorId)) ?? null }];
  });
}

function gateway(postsUrl: string, usersUrl: string): Promise<Handler> {
  return edge(async (id) => {
    const postRes = await fetch(`${postsUrl}/posts/${encodeURIComponent(id)}`);
    if (postRes.status !== 200) return [postRes.status, await postRes.json()];
    const post = (await postRes.json()) as { authorId: string };
    const userRes = await fetch(`${usersUrl}/users/${encodeURIComponent(post.authorId)}`);
    return [200, { ...post, author: userRes.status === 200 ? await userRes.json() : null }];
  });
}

function byId(prefix: string, find: (id: string) => Promise<object | undefined>): Handler {
  return (req, res) => {
    if (req.url === '/healthz') return json(res, 200, { status: 'ok' });
    if (!req.url?.startsWith(prefix)) return json(res, 404, { error: 'not found' });
    find(decodeURIComponent(req.url.slice(prefix.length)))
      .then((record) => (record ? json(res, 200, record) : json(res, 404, { error: 'not found' })))
      .catch((err: unknown) => json(res, 500, { error: String(err) }));
  };
}

async function handlerFor(name: string | undefined): Promise<Handler | undefined> {
  switch (name) {
    case 'monolith':
      return monolith();
    case 'gateway':
      return gateway(process.env.POSTS_URL ?? '', process.env.USERS_URL ?? '');
    case 'posts':
      return byId('/posts/', database().post);
    case 'users':
      return byId('/users/', database().user);
    default:
      return undefined;
  }
}

const isEntry = process.argv[1]?.endsWith('hand-written-service.ts');
if (isEntry) {
  const handler = await handlerFor(role);
  if (handler === undefined || !Number.isInteger(port)) throw new Error('set HAND_ROLE (monolith, gateway, posts or users) and PORT');
  const server = createServer(handler);
  server.keepAliveTimeout = 5_000;
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
