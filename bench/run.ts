/**
 * `npm run bench [name…]`: runs the named benchmarks (default: all), one after another,
 * each printing its table, PASS/MISS lines and JSON (also written to bench/results/).
 * Benchmarks that need a server (NATS_URL, DATABASE_URL) say so and skip themselves.
 */
const benches: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  call: () => import('./call-overhead-bench.ts'),
  http: () => import('./http-call-latency.ts'),
  gateway: () => import('./gateway-aggregate.ts'),
  events: () => import('./events-throughput.ts'),
  saga: () => import('./saga-orders.ts'),
  embedded: () => import('./embedded-database.ts'),
  jobs: () => import('./jobs-latency.ts'),
  media: () => import('./media-isolation.ts'),
  tracing: () => import('./tracing-cost.ts'),
  dashboard: () => import('./dashboard-cost.ts'),
};

const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in benches));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
for (const name of names.length ? names : Object.keys(benches)) {
  console.log(`\n=== bench: ${name}\n`);
  await (await benches[name]!()).run();
}
