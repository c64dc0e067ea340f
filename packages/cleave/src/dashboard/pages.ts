import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env, Hono } from 'hono';
import { errors } from '../errors/framework-errors.ts';

export const DASHBOARD_PATH = '/_cleave';

/**
 * The pages' files, plain HTML / ES modules / CSS with no build step, in the package's
 * `assets/dashboard/` (listed in `files`). This file sits at the same depth in `src/`
 * and `dist/`, so the same relative URL finds them from sources and from the build.
 */
// A path, not `new URL('…', import.meta.url)`: a bundler (Next.js bundles a workspace-linked
// framework) takes that pattern for an asset to carry, and fails on a folder; turbopackIgnore:
// the files are read at run time.
const ASSETS_DIR = join(dirname(fileURLToPath(import.meta.url)), /* turbopackIgnore: true */ '../../assets/dashboard');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The client-side routes: each serves the same shell, whose script draws the page. */
const PAGES = ['', '/', '/map', '/traces', '/traces/:traceId', '/events', '/jobs', '/sagas', '/sagas/:id', '/checklist'];

/**
 * Everything the pages fetch is theirs: no inline script, no CDN (machines may be
 * offline), nothing framed. Data goes in with textContent, so a dead letter's error
 * text cannot become markup either.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * `GET /_cleave/...`: the dashboard's shell and assets. They hold no data and are the
 * package's own files, so they are served without the admin guard; every number on a page
 * comes from `/_cleave/api/*`, which is guarded (the page asks for the admin token when
 * an API answers 401). Files are read on first request and kept: nothing at boot.
 */
export function mountDashboardPages<E extends Env>(app: Hono<E>): void {
  const cache = new Map<string, Promise<Buffer>>();
  const file = (name: string) => {
    let content = cache.get(name);
    if (content === undefined) {
      content = readFile(join(/* turbopackIgnore: true */ ASSETS_DIR, name));
      cache.set(name, content);
      content.catch(() => cache.delete(name));
    }
    return content;
  };
  for (const page of PAGES) {
    app.get(`${DASHBOARD_PATH}${page}`, async (c) => c.body(new Uint8Array(await file('index.html')), 200, { 'content-type': TYPES['.html'] as string, 'cache-control': 'no-cache', ...SECURITY_HEADERS }));
  }
  app.get(`${DASHBOARD_PATH}/assets/:name`, async (c) => {
    const name = c.req.param('name');
    const type = TYPES[/\.[a-z]+$/.exec(name)?.[0] ?? ''];
    // A plain file name of a known type: nothing outside the folder can be named.
    if (type === undefined || !/^[a-z0-9-]+\.[a-z]+$/.test(name)) throw errors.NOT_FOUND(`no dashboard asset ${name}`);
    const content = await file(name).catch(() => {
      throw errors.NOT_FOUND(`no dashboard asset ${name}`);
    });
    return c.body(new Uint8Array(content), 200, { 'content-type': type, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
  });
}
