// The service map: modules as boxes in columns by distance from the gateway, an arrow
// per observed caller → callee (solid: calls, dashed: events), and the same edges as a table.
import { api } from './api.js';
import { h, ms, num, s, table } from './dom.js';

const BOX = { w: 150, h: 46, gapX: 90, gapY: 28 };

function columns(nodes, edges) {
  const depth = new Map([['gateway', 0]]);
  const queue = ['gateway'];
  while (queue.length) {
    const from = queue.shift();
    for (const e of edges.filter((edge) => edge.from === from && !depth.has(edge.to))) {
      depth.set(e.to, depth.get(from) + 1);
      queue.push(e.to);
    }
  }
  // Publishers nobody calls (and modules with no traffic) go beside the gateway's callees.
  for (const n of nodes) if (!depth.has(n.id)) depth.set(n.id, 1);
  const byColumn = [];
  for (const n of nodes) (byColumn[depth.get(n.id)] ??= []).push(n);
  return byColumn.filter(Boolean);
}

function draw(map) {
  const cols = columns(map.nodes, map.edges);
  const at = new Map();
  cols.forEach((col, x) => col.forEach((n, y) => at.set(n.id, { x: 20 + x * (BOX.w + BOX.gapX), y: 20 + y * (BOX.h + BOX.gapY) })));
  const width = 40 + cols.length * (BOX.w + BOX.gapX);
  const height = 40 + Math.max(...cols.map((c) => c.length)) * (BOX.h + BOX.gapY);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': 'service map' },
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))));
  for (const e of map.edges) {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) continue;
    const [x1, y1, x2, y2] = [a.x + BOX.w, a.y + BOX.h / 2, b.x, b.y + BOX.h / 2];
    // Forward: right side to left side. Within a column: out of the right side and back
    // in, bulging into the gap. Backward: under the boxes, right side to right side.
    let d = `M${x1},${y1} C${x1 + 40},${y1} ${x2 - 40},${y2} ${x2},${y2}`;
    if (a.x === b.x) d = `M${x1},${y1} C${x1 + 45},${y1} ${x1 + 45},${y2} ${x1 + 4},${y2}`;
    else if (b.x < a.x) d = `M${x1},${y1} C${x1 + 60},${y1 + 80} ${b.x + BOX.w + 60},${y2 + 80} ${b.x + BOX.w + 4},${y2}`;
    const cls = `edge ${e.kind}${e.errors > 0 ? ' failing' : ''}`;
    svg.append(s('path', { d, class: cls, 'marker-end': 'url(#arrow)' }, s('title', {}, `${e.from} → ${e.to}: ${e.count} (${e.perSecond.toFixed(2)}/s), p50 ${ms(e.p50Ms)}, p99 ${ms(e.p99Ms)}, ${e.errors} errors`)));
  }
  for (const n of map.nodes) {
    const p = at.get(n.id);
    svg.append(s('g', { class: `node${n.id === 'gateway' ? ' gateway' : ''}`, 'data-module': n.id },
      s('rect', { x: p.x, y: p.y, width: BOX.w, height: BOX.h, rx: 6 }),
      s('text', { x: p.x + BOX.w / 2, y: p.y + 20, class: 'name' }, n.id),
      s('text', { x: p.x + BOX.w / 2, y: p.y + 36, class: 'service' }, `service ${n.service}`)));
  }
  return svg;
}

export async function mapPage() {
  const map = await api('/map');
  const rows = map.edges.map((e) => [e.from, e.to, e.kind, num(e.count), num(e.perSecond.toFixed(2)), num(ms(e.p50Ms)), num(ms(e.p99Ms)), h('td', { class: e.errors ? 'num bad' : 'num' }, e.errors)]);
  return h('section', {},
    h('h1', {}, 'Service map'),
    h('p', { class: 'muted' }, `Observed calls and events of the last ${map.windowSeconds / 60} minutes (from the gateway's span store). Solid: operation calls; dashed: events.`),
    h('div', { class: 'map' }, draw(map)),
    h('h2', {}, 'Edges'),
    table('edges', ['From', 'To', 'Kind', 'Count', 'Per second', 'p50', 'p99', 'Errors'], rows, 'No calls observed yet: use the app, then refresh.'));
}
