import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTracing } from '../src/runtime/boot/tracing.ts';
import { settingsFromEnv } from '../src/runtime/settings.ts';
import { defineTopology } from '../src/runtime/topology.ts';
import { CleaveError } from '../src/errors/cleave-error.ts';
import { startOtlpReceiver } from './support/otlp-receiver.ts';

const monolith = defineTopology({ name: 'monolith', services: { app: { modules: [], roles: ['gateway'] } } });
const split = defineTopology({ name: 'split', services: { gateway: { modules: [], roles: ['gateway'], port: 1 }, users: { modules: [], port: 2 } } });

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());
afterEach(() => {
  vi.unstubAllEnvs();
  receiver.spans.length = 0;
  receiver.requests.length = 0;
});

function env(vars: Record<string, string>) {
  for (const [k, v] of Object.entries(vars)) vi.stubEnv(k, v);
  return settingsFromEnv(process.env);
}

describe.each(['http/protobuf', 'http/json'] as const)('OTLP export over %s, configured by OTEL_* variables', (protocol) => {
  it('sends span names, kinds, parent links, attributes, events and status to the collector, with the resource and headers', async () => {
    const settings = env({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=s3cret,x-team=core',
      OTEL_SERVICE_NAME: 'blog-api',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,service.version=1.2.3',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    });
    const { tracer } = startTracing(monolith, 'app', settings);
    const root = tracer.startSpan('GET', undefined, 'server', { 'http.request.method': 'GET' });
    root.updateName('GET /api/v1/posts/:id');
    root.setAttribute('http.route', '/api/v1/posts/:id');
    const call = tracer.startSpan('posts.getPost', root.trace, 'server', { 'rpc.system': 'cleave', 'rpc.service': 'posts', 'rpc.method': 'getPost' });
    const consume = tracer.startSpan('process user.updated.v1', call.trace, 'consumer', { 'messaging.operation.type': 'process' });
    consume.end(new CleaveError({ code: 'posts.BROKEN', status: 500, title: 'Broken', detail: 'the handler failed' }));
    call.end();
    root.setAttribute('http.response.status_code', 200);
    root.end();
    await tracer.shutdown(); // flushes the batch

    const spans = receiver.spans;
    expect(spans.map((s) => s.protocol)).toEqual([protocol, protocol, protocol]);
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    const http = byName['GET /api/v1/posts/:id']!;
    const rpc = byName['posts.getPost']!;
    const msg = byName['process user.updated.v1']!;
    expect(http).toMatchObject({ kind: 'server', parentSpanId: undefined, status: 'unset', scope: 'cleave', service: 'blog-api' });
    expect(http.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.route': '/api/v1/posts/:id', 'http.response.status_code': 200 });
    expect(http.traceId).toBe(root.trace.traceId);
    expect(http.spanId).toBe(root.trace.spanId);
    expect(rpc).toMatchObject({ kind: 'server', traceId: http.traceId, parentSpanId: http.spanId });
    expect(rpc.attributes).toMatchObject({ 'rpc.system': 'cleave', 'rpc.service': 'posts', 'rpc.method': 'getPost' });
    expect(msg).toMatchObject({ kind: 'consumer', traceId: http.traceId, parentSpanId: rpc.spanId, status: 'error', statusMessage: 'the handler failed' });
    expect(msg.events).toHaveLength(1);
    expect(msg.events[0]).toMatchObject({ name: 'exception', attributes: { 'exception.type': 'posts.BROKEN', 'exception.message': 'the handler failed' } });
    expect(msg.endNs).toBeGreaterThanOrEqual(msg.startNs);
    expect(http.endNs - http.startNs).toBeGreaterThanOrEqual(rpc.endNs - rpc.startNs);
    expect(http.resource).toMatchObject({ 'service.name': 'blog-api', 'service.version': '1.2.3', 'deployment.environment.name': 'test', 'cleave.service': 'app', 'telemetry.sdk.language': 'nodejs' });
    const request = receiver.requests.find((r) => r.path === '/v1/traces')!;
    expect(request.contentType).toContain(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
    expect(request.headers).toMatchObject({ 'x-collector-key': 's3cret', 'x-team': 'core' });
  });
});

describe('OTLP configuration', () => {
  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is (no /v1/traces appended)', async () => {
    const { tracer } = startTracing(monolith, 'app', env({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }));
    tracer.startSpan('GET', undefined, 'server').end();
    await tracer.shutdown();
    expect(receiver.spans.map((s) => s.name)).toEqual(['GET']);
  });

  it('names each service of a split system by its own name even when OTEL_SERVICE_NAME is set (one environment for all)', async () => {
    const settings = env({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'shared' });
    const gateway = startTracing(split, 'gateway', settings).tracer;
    const users = startTracing(split, 'users', settings).tracer;
    const parent = gateway.startSpan('GET', undefined, 'server');
    users.startSpan('users.getUser', parent.trace, 'server').end();
    parent.end();
    await Promise.all([gateway.shutdown(), users.shutdown()]);
    expect(receiver.spans.map((s) => [s.name, s.service]).sort()).toEqual([['GET', 'gateway'], ['users.getUser', 'users']]);
    expect(receiver.spans.find((s) => s.service === 'users')?.parentSpanId).toBe(parent.trace.spanId);
  });

  it('samples by OTEL_TRACES_SAMPLER: always_off records nothing, yet trace ids still propagate unsampled', async () => {
    const { tracer } = startTracing(monolith, 'app', env({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'always_off' }));
    const span = tracer.startSpan('GET', undefined, 'server');
    span.end();
    await tracer.shutdown();
    expect(span.trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.trace.traceFlags).toBe(0);
    expect(receiver.spans).toEqual([]);
  });

  it('parentbased_traceidratio with ratio 0: new traces are dropped, children of a sampled caller are kept', async () => {
    const { tracer } = startTracing(monolith, 'app', env({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }));
    const root = tracer.startSpan('dropped', undefined, 'server');
    tracer.startSpan('dropped child', root.trace, 'server').end();
    root.end();
    const sampledCaller = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    tracer.startSpan('kept', sampledCaller, 'server').end();
    await tracer.shutdown();
    expect(receiver.spans.map((s) => [s.name, s.parentSpanId])).toEqual([['kept', 'b'.repeat(16)]]);
  });

  it('refuses what it cannot honour, at boot', () => {
    expect(() => startTracing(monolith, 'app', env({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }))).toThrow(/http\/protobuf or http\/json/);
    vi.unstubAllEnvs();
    expect(() => startTracing(monolith, 'app', env({ OTEL_TRACES_SAMPLER: 'sometimes' }))).toThrow(/OTEL_TRACES_SAMPLER must be one of/);
    vi.unstubAllEnvs();
    expect(() => startTracing(monolith, 'app', env({ OTEL_TRACES_EXPORTER: 'zipkin' }))).toThrow(/otlp or none/);
  });
});
