import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, freePort } from '@cleavejs/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const appDir = join(import.meta.dirname, '..');
const root = join(appDir, '../..');
const nextBin = join(root, 'node_modules/next/dist/bin/next');
// No telemetry, and the signals left to Cleave's handler so a stop drains the service.
const nextEnv = { NEXT_TELEMETRY_DISABLED: '1', NEXT_MANUAL_SIG_HANDLE: 'true' };
// As a deployment runs it: `next start` sets NODE_ENV=production unless given one (vitest's is "test").
const { NODE_ENV: _vitestNodeEnv, ...parentEnv } = process.env;

/** Newest modification time under a folder (skipping .next and node_modules). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path)
    .filter((entry) => entry !== '.next' && entry !== 'node_modules' && entry !== '.data')
    .reduce((max, entry) => Math.max(max, newest(join(path, entry))), stat.mtimeMs);
}

/**
 * `next build`, unless the build on disk is newer than everything it is made of: this app,
 * the reference app's modules and the framework's dist/ (bundled from a workspace link).
 */
function buildIfStale(): void {
  const buildId = join(appDir, '.next/BUILD_ID');
  const inputs = [appDir, join(root, 'examples/saas/modules'), join(root, 'examples/saas/app.ts'), join(root, 'packages/cleave/dist')];
  if (existsSync(buildId) && statSync(buildId).mtimeMs > Math.max(...inputs.map(newest))) return;
  const result = spawnSync(process.execPath, [nextBin, 'build'], { cwd: appDir, env: { ...parentEnv, ...nextEnv }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`next build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

describe('the reference app behind a Next.js route (examples/nextjs-gateway, next start)', () => {
  let server: ChildProcess | undefined;
  let output = '';
  let baseUrl = '';
  let dataDir = '';
  let database: { url: string; drop: () => Promise<void> } | undefined;

  beforeAll(async () => {
    buildIfStale();
    dataDir = mkdtempSync(join(tmpdir(), 'cleave-next-'));
    if (process.env.DATABASE_URL) database = await createTestDatabase(process.env.DATABASE_URL, 'cleave_next');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [nextBin, 'start', '--port', String(port), '--hostname', '127.0.0.1'], {
      cwd: appDir,
      // Each test client writes its own X-Forwarded-For, which Next.js passes on; one proxy hop trusted.
      env: { ...parentEnv, ...nextEnv, CLEAVE_DATA_DIR: dataDir, CLEAVE_TRUST_PROXY: '1', DATABASE_URL: database?.url ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // instrumentation.ts starts the service with the server; it logs when it has.
    const deadline = Date.now() + 90_000;
    while (!output.includes('"msg":"service started"')) {
      if (server.exitCode !== null) throw new Error(`next start exited with ${server.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`the service did not start within 90 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 600_000);

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const request = async (path: string, init: { token?: string; body?: unknown; ip: string }) => {
    const headers: Record<string, string> = { 'x-forwarded-for': init.ip };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(baseUrl + path, { method: init.body === undefined ? 'GET' : 'POST', headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- the API's JSON
  };
  const signup = async (name: string, ip: string) => {
    const res = await request('/api/v1/auth/signup', { ip, body: { email: `u-${randomUUID()}@example.com`, password: `pw-${randomUUID()}`, name } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { userId: res.body.user.id as string, token: res.body.accessToken as string };
  };

  it('signs up, creates a post, and serves the aggregated post + author through the gateway', async () => {
    const author = await signup('Next Author', '10.77.0.1');
    const reader = await signup('Next Reader', '10.77.0.2');
    const created = await request('/api/v1/posts', { ip: '10.77.0.1', token: author.token, body: { title: 'From Next.js', body: 'routed to Cleave' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ title: 'From Next.js', authorId: author.userId, authorName: 'Next Author' });

    const read = await request(`/api/v1/posts/${created.body.id}`, { ip: '10.77.0.2', token: reader.token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: created.body.id, title: 'From Next.js', author: { id: author.userId, name: 'Next Author' } });
    expect(read.headers.get('cleave-partial')).toBeNull();
    expect(read.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers the gateway\'s errors as problem+json with the trace id (no session → 401)', async () => {
    const res = await fetch(`${baseUrl}/api/v1/posts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { traceId?: string };
    expect(problem.traceId).toBe(res.headers.get('x-trace-id'));
  });

  it('stops gracefully on SIGTERM: the service drains and closes its databases', async () => {
    const exited = new Promise<number | null>((resolve) => server?.once('exit', (code) => resolve(code)));
    server?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"stopped"');
    // The embedded PostgreSQL server stopped with its last database (no postmaster left).
    expect(existsSync(join(dataDir, 'postgres/postmaster.pid'))).toBe(false);
  }, 60_000);
});
