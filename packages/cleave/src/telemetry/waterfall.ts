import type { StoredSpan } from './span-store.ts';

/** One line of a waterfall: a span with its depth under its parent and its offset from the trace's start. */
export interface WaterfallRow {
  readonly span: StoredSpan;
  readonly depth: number;
  readonly offsetMs: number;
}

/**
 * Orders a trace's spans as a tree (each child under its parent, siblings by start time);
 * a span whose parent is not in the store (an unseen caller) is a root.
 */
export function waterfall(spans: readonly StoredSpan[]): WaterfallRow[] {
  if (spans.length === 0) return [];
  const start = Math.min(...spans.map((s) => s.startMs));
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, StoredSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    const list = children.get(parent);
    if (list) list.push(span);
    else children.set(parent, [span]);
  }
  const rows: WaterfallRow[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      rows.push({ span, depth, offsetMs: span.startMs - start });
      visit(span.spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  return rows;
}

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)}ms`;

/**
 * The seed's "follow one request" view as text: one line per span — start offset,
 * duration, status, service, operation (indented under its parent), kind.
 *
 *   Trace 4bf92f35…  GET /api/v1/posts/:id  — 5 spans, 3 services, 12.4ms
 *    +0.00ms   12.4ms  ok     gateway  GET /api/v1/posts/:id  (server)
 *    +0.41ms   6.02ms  ok     gateway    posts.getPost  (client)
 */
export function formatWaterfall(traceId: string, spans: readonly StoredSpan[]): string {
  const rows = waterfall(spans);
  if (rows.length === 0) return `Trace ${traceId}: no spans`;
  const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  const total = end - Math.min(...spans.map((s) => s.startMs));
  const services = new Set(spans.map((s) => s.service));
  const width = Math.max(...spans.map((s) => s.service.length));
  const lines = [`Trace ${traceId}  ${rows[0]!.span.name}  — ${spans.length} spans, ${services.size} service${services.size === 1 ? '' : 's'}, ${ms(total)}`];
  for (const { span, depth, offsetMs } of rows) {
    const status = span.status === 'error' ? 'ERROR' : 'ok   ';
    const note = span.status === 'error' && span.statusMessage ? `  ! ${span.statusMessage}` : '';
    lines.push(`${`+${ms(offsetMs)}`.padStart(10)} ${ms(span.durationMs).padStart(9)}  ${status}  ${span.service.padEnd(width)}  ${'  '.repeat(depth)}${span.name}  (${span.kind})${note}`);
  }
  return lines.join('\n');
}
