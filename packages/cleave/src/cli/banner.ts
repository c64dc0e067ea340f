import { relative } from 'node:path';
import type { AnyOperation } from '../module/contract.ts';
import type { AppDefinition } from '../runtime/define-app.ts';
import { databaseFor } from '../runtime/settings.ts';
import type { ServiceSettings } from '../runtime/settings.ts';
import type { Topology } from '../runtime/topology.ts';
import { API_REFERENCE_PATH } from '../gateway/api-reference.ts';
import { DASHBOARD_PATH } from '../dashboard/pages.ts';
import { API_PREFIX } from '../gateway/public-route.ts';

/** Where the app's modules keep their data, in words, for the start lines. */
export function describeDatabase(app: AppDefinition, settings: ServiceSettings): string {
  const kinds = new Set(app.modules.map((m) => databaseFor(settings, m.name).kind));
  const dir = relative(process.cwd(), settings.dataDir) || '.';
  if (kinds.has('embedded')) return `embedded PostgreSQL (${dir}/postgres)`;
  if (kinds.has('pglite')) return `PGlite (${dir}, a directory per module)`;
  return 'PostgreSQL (DATABASE_URL)';
}

/**
 * What a newcomer needs after `cleave start`: working URLs to click, first of all a route
 * of the app's own (a public GET without parameters when there is one).
 */
export function startBanner(options: {
  app: AppDefinition;
  topology: Topology;
  settings: ServiceSettings;
  publicUrl: string;
}): string {
  const { app, topology, settings, publicUrl } = options;
  const base = publicUrl.replace(/\/$/, '');
  const route = firstRoute(app);
  const lines: [string, string][] = [];
  if (route) lines.push(['API', `${base}${API_PREFIX}${route}`]);
  lines.push(['OpenAPI', `${base}${API_PREFIX}/openapi.json`]);
  if (settings.environment === 'development') lines.push(['API reference', `${base}${API_REFERENCE_PATH}`]);
  // Outside development it asks for CLEAVE_ADMIN_TOKEN (dashboard/admin-guard.ts).
  lines.push(['Dashboard', `${base}${DASHBOARD_PATH}/`]);
  lines.push(['Health', `${base}/healthz`]);
  const width = Math.max(...lines.map(([label]) => label.length));
  const services = Object.keys(topology.services).length;
  return [
    '',
    `${app.name} ${app.version} — topology ${topology.name} (${services === 1 ? `${app.modules.length} modules in one process` : `${services} services`}) on ${describeDatabase(app, settings)}`,
    '',
    ...lines.map(([label, url]) => `  ${label.padEnd(width)}  ${url}`),
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n');
}

function firstRoute(app: AppDefinition): string | undefined {
  const routes = app.modules.flatMap((m) => (Object.values(m.contract.$operations) as AnyOperation[]).flatMap((op) => (op.http ? [op.http] : [])));
  const plainGet = routes.find((r) => r.method === 'GET' && r.auth === 'public' && !r.path.includes(':'));
  return (plainGet ?? routes.find((r) => r.method === 'GET' && !r.path.includes(':')) ?? routes[0])?.path;
}
