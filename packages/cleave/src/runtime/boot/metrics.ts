import type { Env, Hono } from 'hono';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { adminAccessFromEnv, adminGuard } from '../../dashboard/admin-guard.ts';
import { inboxCounts, outboxLag } from '../../events/dead-letters.ts';
import type { EventTables } from '../../events/event-tables.ts';
import { jobCounts } from '../../jobs/job-queries.ts';
import type { JobTables } from '../../jobs/job-tables.ts';
import { SpanMetrics } from '../../telemetry/span-metrics.ts';
import { HttpTransport } from '../../transport/http-transport.ts';
import type { CallRouter } from '../call-router.ts';
import type { ModuleRuntime } from '../module-runtime.ts';
import type { ServiceSettings } from '../settings.ts';
import { hostOf } from '../topology.ts';
import type { Topology } from '../topology.ts';

export const METRICS_PATH = '/metrics';
const circuitStates = { closed: 0, open: 1, 'half-open': 2, isolated: 3 } as const;

export interface ServiceMetrics {
  readonly registry: Registry;
  /** Fed finished spans by the tracer's batching processor (request, operation, event histograms). */
  readonly spans: SpanMetrics;
  /** Gauges read at scrape time from the hosted modules' tables and the call transports. */
  watch(modules: ReadonlyMap<string, ModuleRuntime>, router: CallRouter, topology: Topology, allModules: readonly string[]): void;
  /** Jobs per queue and state of the modules whose jobs run in this service, read at scrape time. */
  watchJobs(jobHosts: ReadonlyMap<string, ModuleRuntime>): void;
  /** `GET /metrics` (Prometheus text), behind the admin guard outside development. */
  mount<E extends Env>(app: Hono<E>): void;
}

/**
 * Prometheus metrics of one service (prom-client): process memory, CPU, event-loop lag
 * (the default collectors), the span-derived histograms, and — read when scraped —
 * outbox lag and depth, inbox rows per subscription and status, sagas per state, jobs per
 * queue and state, and the
 * circuit breaker of each remote target. Every series carries `service`.
 */
export function createServiceMetrics(service: string, settings: ServiceSettings): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // The lag histogram (monitorEventLoopDelay) samples with a timer of this resolution: a stall
  // still shows at its full length (the timer fires that late), only lags under 100 ms blur.
  // At 20 ms its 50 wake-ups a second were a quarter of an idle service's CPU (issue 8).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  // Gauges named like counters (`_total`): `promtool check metrics` rejects them, and the
  // handle/request counts say little that event-loop lag and memory don't.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  const spans = new SpanMetrics(registry);
  const guard = adminGuard(adminAccessFromEnv(settings.env));
  return {
    registry,
    spans,
    watch(modules, router, topology, allModules) {
      const registers = [registry];
      const dbOf = (m: ModuleRuntime) => m.db as unknown as Kysely<EventTables>;
      new Gauge({
        name: 'cleave_outbox_lag_events', help: 'Events committed to the outbox and not yet handed to the transport', labelNames: ['module'], registers,
        async collect() {
          this.reset();
          for (const m of modules.values()) this.set({ module: m.name }, (await outboxLag(dbOf(m))).outboxLag);
        },
      });
      new Gauge({
        name: 'cleave_outbox_oldest_unpublished_seconds', help: 'Age of the oldest event not yet handed to the transport (0: none)', labelNames: ['module'], registers,
        async collect() {
          this.reset();
          for (const m of modules.values()) this.set({ module: m.name }, (await outboxLag(dbOf(m))).oldestUnpublishedSeconds ?? 0);
        },
      });
      new Gauge({
        name: 'cleave_inbox_events', help: 'Inbox rows per subscription and status (pending includes retrying; dead = dead letters)', labelNames: ['module', 'event', 'status'], registers,
        async collect() {
          this.reset();
          for (const m of modules.values()) {
            for (const r of await inboxCounts(dbOf(m))) this.set({ module: m.name, event: r.name, status: r.state }, r.count);
          }
        },
      });
      new Gauge({
        name: 'cleave_sagas', help: 'Sagas per state', labelNames: ['module', 'saga', 'status'], registers,
        async collect() {
          this.reset();
          for (const m of modules.values()) {
            const rows = await sql<{ name: string; status: string; count: string }>`select name, status, count(*) as count from sagas group by 1, 2`.execute(m.db);
            for (const r of rows.rows) this.set({ module: m.name, saga: r.name, status: r.status }, Number(r.count));
          }
        },
      });
      new Gauge({
        name: 'cleave_circuit_breaker_state', help: 'Circuit breaker per remote target service: 0 closed, 1 open, 2 half-open, 3 isolated', labelNames: ['target'], registers,
        collect() {
          this.reset();
          for (const module of allModules) {
            const transport = router.transportFor(module);
            if (transport instanceof HttpTransport) this.set({ target: hostOf(topology, module) ?? module }, circuitStates[transport.circuitState]);
          }
        },
      });
    },
    watchJobs(jobHosts) {
      new Gauge({
        name: 'cleave_jobs', help: 'Jobs per queue and state (pending includes retrying and delayed; dead: failed every attempt)', labelNames: ['module', 'queue', 'status'], registers: [registry],
        async collect() {
          this.reset();
          for (const m of jobHosts.values()) {
            for (const r of await jobCounts(m.db as unknown as Kysely<JobTables>)) this.set({ module: m.name, queue: r.queue, status: r.status }, r.count);
          }
        },
      });
    },
    mount(app) {
      app.get(METRICS_PATH, guard, async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));
    },
  };
}
