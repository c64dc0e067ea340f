import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The decoding OTLP receiver is a test helper of the framework package, shared here.
import { startOtlpReceiver } from '../../../packages/cleave/test/support/otlp-receiver.ts';
import type { ReceivedSpan } from '../../../packages/cleave/test/support/otlp-receiver.ts';
import { ApiClient } from './support/client.ts';
import { startPrometheus } from './support/prometheus.ts';
import { startSplit } from './support/split-target.ts';
import type { SplitTarget } from './support/split-target.ts';
import { waitFor } from './support/wait-for.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');
// CI installs Prometheus (.ci/run ensure_prometheus); elsewhere the scrape test needs it on PATH.
const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0 && spawnSync('promtool', ['--version']).status === 0;
const run = promisify(execFile);

interface WaterfallSpan {
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  service: string;
  depth: number;
  offsetMs: number;
  status: string;
}

/**
 * One request followed across every service of the split topology (one OS process per
 * service): in an OTLP collector (protobuf, decoded) and in `cleave trace`, which reads the
 * gateway's store that the other services forward their spans to — the same spans in both.
 */
describe('tracing across the split topology: OTLP collector and cleave trace', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let target: SplitTarget;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    target = await startSplit({ env: { CLEAVE_EVENTS: 'http', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_BSP_SCHEDULE_DELAY: '100' } });
  }, Number(process.env.CLEAVE_TEST_BOOT_TIMEOUT_MS ?? 120_000) + 60_000);
  afterAll(async () => {
    await target?.stop();
    await receiver?.close();
  });

  const cleaveTrace = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [join(repoRoot, 'packages/cleave/bin/cleave.mjs'), 'trace', '--url', target.baseUrl, ...args], { cwd: repoRoot });
    return stdout;
  };
  const collected = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
  const one = (spans: readonly ReceivedSpan[], service: string, name: string, kind: string) => {
    const found = spans.filter((s) => s.service === service && s.name === name && s.kind === kind);
    expect(found, `${service} ${name} (${kind}) in ${JSON.stringify(spans.map((s) => [s.service, s.name, s.kind]))}`).toHaveLength(1);
    return found[0]!;
  };

  it('an aggregated GET: gateway server span, client spans to posts and users, their server spans, in both views', async () => {
    const c = new ApiClient(target.baseUrl);
    const s = await c.signup('Tracer');
    const post = await c.request('/api/v1/posts', { token: s.accessToken, body: { title: 'Traced', body: 'Followed across services.' } });
    expect(post.status).toBe(201);
    const read = await c.request(`/api/v1/posts/${post.body.id}`, { token: s.accessToken });
    expect(read.status).toBe(200);
    const traceId = read.headers.get('x-trace-id')!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    // Each service exports in its own batches: wait for all five spans, not just the first of each service.
    const expected: [string, string, string][] = [['gateway', 'GET /api/v1/posts/:id', 'server'], ['gateway', 'posts.getPost', 'client'], ['posts', 'posts.getPost', 'server'], ['gateway', 'users.getPublicProfile', 'client'], ['users', 'users.getPublicProfile', 'server']];
    await waitFor('the five spans of the request in the collector', () => expected.every(([service, name, kind]) => collected(traceId).some((x) => x.service === service && x.name === name && x.kind === kind)), 30_000);
    const spans = collected(traceId);
    const root = one(spans, 'gateway', 'GET /api/v1/posts/:id', 'server');
    expect(root.parentSpanId).toBeUndefined();
    expect(root.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.route': '/api/v1/posts/:id', 'http.response.status_code': 200 });
    for (const [service, name] of [['posts', 'posts.getPost'], ['users', 'users.getPublicProfile']] as const) {
      const client = one(spans, 'gateway', name, 'client');
      const server = one(spans, service, name, 'server');
      expect(client.parentSpanId).toBe(root.spanId);
      expect(server.parentSpanId).toBe(client.spanId); // W3C traceparent across the process boundary
      expect(client.attributes).toMatchObject({ 'rpc.system': 'cleave', 'rpc.service': service, 'server.address': '127.0.0.1', 'cleave.target': service });
      expect(server.attributes).toMatchObject({ 'rpc.system': 'cleave', 'rpc.service': service, 'cleave.caller': 'gateway' });
    }

    // The same trace, whole, from the running gateway's store.
    let waterfall: { traceId: string; spans: WaterfallSpan[] } | undefined;
    await waitFor('every span in the gateway store', async () => {
      waterfall = JSON.parse(await cleaveTrace(traceId, '--json'));
      return waterfall!.spans.length === collected(traceId).length;
    }, 30_000);
    expect(new Set(waterfall!.spans.map((x) => x.spanId))).toEqual(new Set(collected(traceId).map((x) => x.spanId)));
    expect(waterfall!.spans[0]).toMatchObject({ name: 'GET /api/v1/posts/:id', service: 'gateway', depth: 0, offsetMs: 0 });
    const serverInPosts = waterfall!.spans.find((x) => x.service === 'posts')!;
    expect(serverInPosts.depth).toBe(2);
    const text = await cleaveTrace(traceId);
    expect(text).toContain(`Trace ${traceId}`);
    expect(text).toMatch(/3 services/);
    expect(text).toMatch(/\+\d+\.\d+ms\s+\d+\.\d+ms\s+ok\s+users\s+users\.getPublicProfile\s+\(server\)/);
    expect(await cleaveTrace('--last')).toContain('Trace ');
  });

  it('an event: the subscriber in another service handles it as a child of the publishing handler', async () => {
    const c = new ApiClient(target.baseUrl);
    const s = await c.signup('Renamed');
    await c.request('/api/v1/posts', { token: s.accessToken, body: { title: 'By a renamed author', body: '…' } });
    const renamed = await c.request('/api/v1/users/me', { method: 'PATCH', token: s.accessToken, body: { name: 'Renamed Twice' } });
    expect(renamed.status).toBe(200);
    const traceId = renamed.headers.get('x-trace-id')!;
    // Each service exports on its own schedule: wait for the consumer span and for its parent.
    await waitFor('the posts subscriber span and its parent in the collector', () => {
      const spans = collected(traceId);
      const consumer = spans.find((x) => x.service === 'posts' && x.kind === 'consumer');
      return consumer !== undefined && spans.some((x) => x.spanId === consumer.parentSpanId);
    }, 30_000);
    const spans = collected(traceId);
    const consumer = one(spans, 'posts', 'process user.updated.v1', 'consumer');
    const handler = spans.find((x) => x.spanId === consumer.parentSpanId)!;
    expect(handler).toMatchObject({ service: 'users', kind: 'server', name: expect.stringMatching(/^users\./) });
    expect(consumer.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'messaging.destination.name': 'user.updated.v1', 'messaging.consumer.group.name': 'posts', 'cleave.publisher': 'users' });
  });

  it("a saga: every step of an order, in commerce and payments, in the trace named by the saga's id", async () => {
    const c = new ApiClient(target.baseUrl);
    const s = await c.signup('Buyer');
    const placed = await c.request('/api/v1/orders', { token: s.accessToken, body: { items: [{ productId: 'prod_mouse', quantity: 1 }], paymentToken: 'tok_visa' }, headers: { 'idempotency-key': randomUUID() } });
    expect(placed.status).toBe(202);
    const sagaTrace = (placed.body.orderId as string).replaceAll('-', '');
    await waitFor('the three saga steps and the charge in payments in the collector', () => {
      const spans = collected(sagaTrace);
      return spans.filter((x) => x.name.startsWith('saga ')).length === 3 && spans.some((x) => x.service === 'payments' && x.kind === 'server');
    }, 60_000);
    const spans = collected(sagaTrace);
    const steps = spans.filter((x) => x.name.startsWith('saga ')).sort((a, b) => Number(a.startNs - b.startNs));
    expect(steps.map((x) => [x.service, x.name, x.kind])).toEqual([
      ['commerce', 'saga createOrder.reserveInventory', 'internal'],
      ['commerce', 'saga createOrder.chargePayment', 'internal'],
      ['commerce', 'saga createOrder.confirmOrder', 'internal'],
    ]);
    expect(steps.every((x) => x.attributes['cleave.saga_id'] === placed.body.orderId)).toBe(true);
    // The charge crosses to the payments service: client span under the step, server span under it.
    const charge = steps[1]!;
    const client = spans.find((x) => x.parentSpanId === charge.spanId && x.kind === 'client')!;
    expect(client).toMatchObject({ service: 'commerce', attributes: expect.objectContaining({ 'rpc.service': 'payments' }) });
    expect(spans.find((x) => x.parentSpanId === client.spanId)).toMatchObject({ service: 'payments', kind: 'server' });
    // `cleave trace` takes the order (saga) id as it is.
    expect(await cleaveTrace(placed.body.orderId as string)).toContain('saga createOrder.chargePayment');
  });

  it.skipIf(!hasPrometheus && !process.env.CI)('GET /metrics on every service: promtool accepts it, a real Prometheus scrapes all of them', async () => {
    const targets = [{ job: 'gateway-public', url: target.baseUrl }, ...Object.entries(target.services).map(([job, url]) => ({ job, url }))];
    for (const { job, url } of targets) {
      const res = await fetch(`${url}/metrics`);
      expect(res.status, job).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      const check = await new Promise<{ code: number | null; out: string }>((done) => {
        const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d));
        child.stderr.on('data', (d: Buffer) => (out += d));
        child.on('exit', (code) => done({ code, out }));
        child.stdin.end(text);
      });
      expect(check, `promtool on ${job}`).toEqual({ code: 0, out: '' });
    }
    // Prometheus scrapes each service once, on its internal listener (the gateway's public /metrics is the same registry).
    const scraped = targets.filter((t) => t.job !== 'gateway-public');
    const prometheus = await startPrometheus(scraped);
    try {
      await waitFor('every target up', async () => (await prometheus.query('up == 1')).length === scraped.length, 60_000);
      const series = async (promql: string) => (await prometheus.query(promql)).map((r) => r.metric);
      // Request histograms per route at the gateway, operations per caller -> callee in each service.
      expect(await series('cleave_http_server_request_duration_seconds_count{route="/api/v1/posts/:id"} > 0')).toEqual([expect.objectContaining({ service: 'gateway', method: 'GET', status_code: '200' })]);
      expect(await series('cleave_operation_duration_seconds_count{service="users",caller="gateway",operation="getPublicProfile"} > 0')).toHaveLength(1);
      expect(await series('cleave_remote_call_duration_seconds_count{service="commerce",target="payments",operation="charge"} > 0')).toHaveLength(1);
      expect(await series('cleave_event_process_duration_seconds_count{service="posts",event="user.updated.v1"} > 0')).toHaveLength(1);
      // Read at scrape time: outbox, inbox per subscription, sagas per state, breakers, the process.
      expect(await series('cleave_outbox_lag_events{service="users",module="users"}')).toHaveLength(1);
      expect(await series('cleave_inbox_events{service="posts",event="user.updated.v1",status="done"} > 0')).toHaveLength(1);
      expect(await series('cleave_sagas{service="commerce",saga="createOrder",status="completed"} > 0')).toHaveLength(1);
      expect(await series('cleave_circuit_breaker_state{service="gateway",target="posts"} == 0')).toHaveLength(1);
      expect((await series('nodejs_eventloop_lag_seconds')).length).toBe(scraped.length);
      expect((await series('process_resident_memory_bytes > 0')).length).toBe(scraped.length);
    } finally {
      await prometheus.stop();
    }
  });
});
