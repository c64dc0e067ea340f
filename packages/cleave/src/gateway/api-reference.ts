import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';
import type { GatewayEnv } from './gateway-env.ts';

/** Where the interactive API reference is served (development only). */
export const API_REFERENCE_PATH = '/api/docs';

/** The Swagger UI files the page loads; served from the npm package, so no CDN is needed. */
const assets: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/**
 * An interactive reference of the API (Swagger UI) built from the gateway's own OpenAPI
 * document: every route, its schemas and errors, with "try it out" against this server.
 * Swagger UI rather than a hand-made page: it is the reference renderer of OpenAPI, and
 * `swagger-ui-dist` ships it as static files, so the page works offline.
 */
export function mountApiReference(app: Hono<GatewayEnv>, options: { openApiPath: string; title: string }): void {
  const root = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Promise<Buffer>>();
  app.get(API_REFERENCE_PATH, (c) => c.html(page(options.title, options.openApiPath)));
  app.get(`${API_REFERENCE_PATH}/:file`, async (c) => {
    const file = c.req.param('file');
    const type = Object.hasOwn(assets, file) ? assets[file] : undefined;
    if (type === undefined) return c.notFound();
    let body = cache.get(file);
    if (body === undefined) cache.set(file, (body = readFile(join(root, file))));
    return c.body(new Uint8Array(await body), 200, { 'content-type': type, 'cache-control': 'public, max-age=3600' });
  });
}

function page(title: string, openApiPath: string): string {
  const text = title.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${text} — API reference</title>
  <link rel="icon" href="${API_REFERENCE_PATH}/favicon-32x32.png">
  <link rel="stylesheet" href="${API_REFERENCE_PATH}/swagger-ui.css">
</head>
<body>
  <div id="reference"></div>
  <script src="${API_REFERENCE_PATH}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: ${JSON.stringify(openApiPath)}, dom_id: '#reference', deepLinking: true, persistAuthorization: true });
  </script>
</body>
</html>`;
}
