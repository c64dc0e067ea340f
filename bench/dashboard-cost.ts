/**
 * What the dashboard costs (issue 10), each against a floor in the same run:
 *   - a public request when nobody opens the dashboard: the only thing the dashboard adds
 *     to it is its routes in the gateway's router. The reference app's public routes on a
 *     Hono app, without and with every dashboard route mounted; the request is
 *     `GET /api/v1/posts/:id` through `app.request` (no socket, so the router shows);
 *   - one service-map view on a full span store (20,000 spans, the store's capacity),
 *     against the trace list over the same store (what the existing trace API costs).
 * Nothing else runs until a page is opened: no timer, no query, no file read at boot.
 *
 *   tsx bench/dashboard-cost.ts        BENCH_N (2,000), BENCH_SAMPLES (9)
 */
import { join } from 'node:path';
import { Hono } from 'hono';
import type { AnyOperation } from '../packages/cleave/src/module/contract.ts';
import { federateAdmins } from '../packages/cleave/src/dashboard/admin-federation.ts';
import { mountChecklistApi } from '../packages/cleave/src/dashboard/checklist-api.ts';
import { mountEventsApi } from '../packages/cleave/src/dashboard/events-api.ts';
import { mountMapApi } from '../packages/cleave/src/dashboard/map-api.ts';
import { mountDashboardPages } from '../packages/cleave/src/dashboard/pages.ts';
import { mountSagasApi } from '../packages/cleave/src/dashboard/sagas-api.ts';
import { serviceMap } from '../packages/cleave/src/dashboard/service-map.ts';
import { mountTraceApi } from '../packages/cleave/src/dashboard/trace-api.ts';
import { SpanStore } from '../packages/cleave/src/telemetry/span-store.ts';
import type { StoredSpan } from '../packages/cleave/src/telemetry/span-store.ts';
import { app as saas } from '../examples/saas/app.ts';
import { isMain } from './lib/load.ts';
import { environment, formatTable, measure, ns, ratio, writeJson } from './lib/measure.ts';

function publicRoutes(withDashboard: boolean): Hono {
  const app = new Hono();
  for (const m of saas.modules) {
    for (const op of Object.values(m.contract.$operations) as AnyOperation[]) {
      if (op.http) app.on(op.http.method, `/api/v1${op.http.path}`, (c) => c.json({ ok: true }));
    }
  }
  if (withDashboard) {
    const open = async (_c: unknown, next: () => Promise<void>) => next();
    const admin = federateAdmins(new Map());
    const store = new SpanStore('gateway');
    mountDashboardPages(app);
    mountTraceApi(app, store, open);
    mountMapApi(app, store, {}, 'gateway', open);
    mountEventsApi(app, admin, open);
    mountSagasApi(app, admin, open);
    mountChecklistApi(app, undefined, open);
  }
  return app;
}

/** A full store of the shapes a busy split system records: gateway requests, calls, events, queries. */
function fullStore(): SpanStore {
  const store = new SpanStore('gateway');
  const now = Date.now();
  const modules = ['users', 'posts', 'orders', 'inventory', 'payments', 'notifications'];
  const spans: StoredSpan[] = [];
  for (let i = 0; i < 20_000; i++) {
    const traceId = (i >> 2).toString(16).padStart(32, '0');
    const module = modules[i % modules.length]!;
    const kind = i % 4;
    const attributes: Record<string, unknown> =
      kind === 0 ? { 'http.request.method': 'GET', 'http.route': '/api/v1/posts/:id' }
        : kind === 1 ? { 'rpc.system': 'cleave', 'rpc.service': module, 'rpc.method': 'op', 'cleave.caller': 'gateway' }
          : kind === 2 ? { 'messaging.operation.type': 'process', 'cleave.module': module, 'cleave.publisher': 'users' }
            : { 'db.system': 'postgresql' };
    spans.push({ traceId, spanId: i.toString(16).padStart(16, '0'), parentSpanId: undefined, name: 'span', kind: kind === 0 || kind === 1 ? 'server' : 'internal', service: module, startMs: now - 200_000 + i * 10, durationMs: (i % 97) + 0.5, status: i % 50 ? 'ok' : 'error', attributes });
  }
  store.add(spans);
  return store;
}

export async function dashboardCost(options = { n: 2_000, samples: 9 }) {
  const without = publicRoutes(false);
  const withDashboard = publicRoutes(true);
  const request = (app: Hono) => async (n: number) => {
    for (let i = 0; i < n; i++) await app.request('/api/v1/posts/0f8fad5b-d9cb-469f-a165-70867728950e');
  };
  const routes = await measure([
    { id: 'without', label: 'public routes only', batch: request(without) },
    { id: 'with', label: 'public routes + every dashboard route', batch: request(withDashboard) },
  ], { n: options.n, samples: options.samples, warmup: 2 });

  const store = fullStore();
  const placement = { users: 'users', posts: 'posts', orders: 'commerce', inventory: 'commerce', payments: 'payments', notifications: 'notifications' };
  const views = await measure([
    { id: 'traces', label: 'trace list (existing): store.traces(100)', batch: async (n) => { for (let i = 0; i < n; i++) store.traces(100); } },
    { id: 'map', label: 'service map: serviceMap(store.all())', batch: async (n) => { for (let i = 0; i < n; i++) serviceMap(store.all(), placement, 'gateway', Date.now()); } },
  ], { n: 5, samples: options.samples, warmup: 1 });

  const r = (id: string) => routes.get(id)!.median;
  const v = (id: string) => views.get(id)!.median;
  const text = [
    formatTable(['GET /api/v1/posts/:id through app.request', 'ns/request (median)', 'vs floor'], [
      ['public routes only (floor)', ns(r('without')), '1.00x'],
      ['+ every dashboard route mounted, dashboard never opened', ns(r('with')), ratio(r('with') / r('without'))],
    ]),
    '',
    formatTable(['one view over a full store (20,000 spans)', 'ms/view (median)', 'vs floor'], [
      ['trace list, 100 traces (floor: the existing trace API)', (v('traces') / 1e6).toFixed(2), '1.00x'],
      ['service map', (v('map') / 1e6).toFixed(2), ratio(v('map') / v('traces'))],
    ]),
  ].join('\n');
  const json = { ...environment(), options, requestNs: { without: r('without'), with: r('with') }, viewMs: { traces: v('traces') / 1e6, map: v('map') / 1e6 } };
  return { text, json };
}

export async function run(): Promise<void> {
  const { text, json } = await dashboardCost({ n: Number(process.env.BENCH_N ?? 2_000), samples: Number(process.env.BENCH_SAMPLES ?? 9) });
  const file = join(import.meta.dirname, 'results', 'dashboard-cost.json');
  writeJson(file, json);
  console.log(text);
  console.log(`\n${JSON.stringify(json, null, 2)}`);
  console.log(`\nwritten to ${file}`);
}

if (isMain(import.meta.url)) await run();
