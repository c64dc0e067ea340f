import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

/** A span as an OTLP collector received it, flattened for assertions. */
export interface ReceivedSpan {
  readonly protocol: 'http/json' | 'http/protobuf';
  readonly service: string;
  readonly resource: Record<string, unknown>;
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer' | 'unspecified';
  readonly attributes: Record<string, unknown>;
  readonly events: readonly { name: string; attributes: Record<string, unknown> }[];
  readonly status: 'unset' | 'ok' | 'error';
  readonly statusMessage: string;
  readonly startNs: bigint;
  readonly endNs: bigint;
}

const kinds = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const statuses = ['unset', 'ok', 'error'] as const;

// Written as OTLP's own messages (./otlp-trace.proto) and decoded by protobufjs, so what is
// checked is what a collector would read, not what our exporter meant to send.
const root = protobuf.loadSync(join(import.meta.dirname, 'otlp-trace.proto'));
const ExportRequest = root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');

type AnyValue = { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number; bytesValue?: string };
type KeyValue = { key: string; value?: AnyValue };
const value = (v: AnyValue | undefined): unknown =>
  v === undefined ? undefined : v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.bytesValue;
const attributes = (kvs: readonly KeyValue[] | undefined) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, value(kv.value)]));
// protobufjs's toObject gives bytes as base64; OTLP/JSON gives ids as hex (the spec's exception for ids).
const hex = (id: string | undefined, protocol: ReceivedSpan['protocol']) => (!id ? undefined : protocol === 'http/json' ? id : Buffer.from(id, 'base64').toString('hex'));

interface RequestShape {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId?: string; spanId?: string; parentSpanId?: string; name?: string; kind?: number | string;
        attributes?: KeyValue[]; events?: { name?: string; attributes?: KeyValue[] }[];
        status?: { code?: number | string; message?: string }; startTimeUnixNano?: string; endTimeUnixNano?: string;
      }[];
    }[];
  }[];
}

function flatten(request: RequestShape, protocol: ReceivedSpan['protocol']): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          protocol,
          service: String(resource['service.name']),
          resource,
          scope: ss.scope?.name ?? '',
          traceId: hex(s.traceId, protocol)!,
          spanId: hex(s.spanId, protocol)!,
          parentSpanId: hex(s.parentSpanId, protocol),
          name: s.name ?? '',
          kind: kinds[Number(s.kind ?? 0)] ?? 'unspecified',
          attributes: attributes(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name ?? '', attributes: attributes(e.attributes) })),
          status: statuses[Number(s.status?.code ?? 0)] ?? 'unset',
          statusMessage: s.status?.message ?? '',
          startNs: BigInt(s.startTimeUnixNano ?? 0),
          endNs: BigInt(s.endTimeUnixNano ?? 0),
        });
      }
    }
  }
  return out;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

/**
 * An OTLP/HTTP trace receiver on an ephemeral port: decodes `application/json` and
 * `application/x-protobuf` exports at /v1/traces, keeps the spans and the request headers.
 */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const requests: { path: string; contentType: string; headers: IncomingMessage['headers'] }[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const data = await body(req);
      const contentType = String(req.headers['content-type'] ?? '');
      requests.push({ path: req.url ?? '', contentType, headers: req.headers });
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
      } else if (contentType.startsWith('application/json')) {
        spans.push(...flatten(JSON.parse(data.toString('utf8')) as RequestShape, 'http/json'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else if (contentType.startsWith('application/x-protobuf')) {
        const decoded = ExportRequest.toObject(ExportRequest.decode(data), { longs: String, bytes: String, enums: Number, defaults: false });
        spans.push(...flatten(decoded as RequestShape, 'http/protobuf'));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } else {
        res.writeHead(415).end();
      }
    })().catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, spans, requests, close: () => new Promise<void>((done) => server.close(() => done())) };
}
