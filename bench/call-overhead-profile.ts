/**
 * A loop of one kind of in-process call, to profile the call path alone:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/call-overhead-profile.ts trusted
 *
 * The kind is `validated` (default), `trusted` or `traced`; BENCH_SECONDS (default 5) is how
 * long it loops. The services are those of bench/call-overhead.ts, so the profile shows the
 * frames that bench times. It prints the ns per call it saw (slower than the bench: the
 * profiler samples it).
 */
import { cleaveService, requestContext } from './call-overhead.ts';
import { SpanStore } from '../packages/cleave/src/telemetry/span-store.ts';
import { createTracer, disabledTracer } from '../packages/cleave/src/telemetry/tracer.ts';

const kind = process.argv[2] ?? 'validated';
if (!['validated', 'trusted', 'traced'].includes(kind)) throw new Error(`unknown kind "${kind}": validated, trusted or traced`);
const tracer = kind === 'traced' ? createTracer({ service: 'bench', store: new SpanStore('bench') }) : disabledTracer;
const { runtimeA } = cleaveService(tracer, kind === 'trusted');
const entry = requestContext();
const batch = 100_000;
const until = Date.now() + Number(process.env.BENCH_SECONDS ?? 5) * 1000;
let calls = 0;
const start = process.hrtime.bigint();
while (Date.now() < until) {
  await runtimeA.handle('loop', { count: batch }, entry);
  calls += batch;
}
console.log(`${kind}: ${(Number(process.hrtime.bigint() - start) / calls).toFixed(1)} ns per call over ${calls} calls`);
await tracer.shutdown();
