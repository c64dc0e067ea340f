// One trace as the CLI's `cleave trace` draws it: a row per span, indented under its
// parent, a bar placed on the trace's time line.
import { h, ms } from './dom.js';

/** Spans in tree order (parent, then its children by start), each with its depth. */
function ordered(spans) {
  const ids = new Set(spans.map((sp) => sp.spanId));
  const children = new Map();
  for (const sp of spans) {
    const parent = sp.parentSpanId && ids.has(sp.parentSpanId) ? sp.parentSpanId : '';
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(sp);
  }
  const out = [];
  const visit = (parent, depth) => {
    for (const sp of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      out.push({ span: sp, depth });
      visit(sp.spanId, depth + 1);
    }
  };
  visit('', 0);
  return out;
}

export function waterfall(spans) {
  const start = Math.min(...spans.map((sp) => sp.startMs));
  const total = Math.max(...spans.map((sp) => sp.startMs + sp.durationMs)) - start || 1;
  const rows = ordered(spans).map(({ span, depth }) => {
    const bar = h('span', { class: `bar ${span.kind}${span.status === 'error' ? ' failing' : ''}` });
    bar.style.left = `${((span.startMs - start) / total) * 100}%`;
    bar.style.width = `${Math.max((span.durationMs / total) * 100, 0.3)}%`;
    const name = h('td', { class: 'span-name' }, span.name);
    name.style.paddingLeft = `${0.5 + depth * 1.1}rem`;
    const details = Object.entries(span.attributes).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n');
    return h('tr', { class: span.status === 'error' ? 'failing' : '', title: details + (span.statusMessage ? `\n${span.statusMessage}` : '') },
      name,
      h('td', { class: 'service' }, span.service),
      h('td', {}, span.kind),
      h('td', { class: 'num' }, ms(span.durationMs)),
      h('td', { class: 'timeline' }, bar));
  });
  return h('table', { id: 'waterfall', class: 'waterfall' },
    h('thead', {}, h('tr', {}, ['Span', 'Service', 'Kind', 'Duration', `Time line (${ms(total)})`].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows));
}
