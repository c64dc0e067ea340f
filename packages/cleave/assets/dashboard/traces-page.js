// The trace list (recent or slowest, search by id) and one trace as a waterfall.
import { api } from './api.js';
import { h, link, ms, num, table } from './dom.js';
import { waterfall } from './waterfall.js';

export async function tracesPage(navigate) {
  const order = new URLSearchParams(location.search).get('order') === 'slowest' ? 'slowest' : 'recent';
  const { traces } = await api(`/traces?limit=100&order=${order}`);
  const input = h('input', { type: 'search', name: 'traceId', placeholder: 'trace id (32 hex digits) or saga id', 'aria-label': 'trace id', required: true, size: 40 });
  const search = h('form', { class: 'search', role: 'search', onsubmit: (e) => { e.preventDefault(); navigate(`/_cleave/traces/${encodeURIComponent(input.value.trim())}`); } },
    input, h('button', { type: 'submit' }, 'Open trace'));
  const rows = traces.map((t) => [
    h('td', { class: 'mono' }, link(`/_cleave/traces/${t.traceId}`, t.traceId)),
    t.root, t.service, new Date(t.startMs).toLocaleTimeString(), num(ms(t.durationMs)), num(t.spans), h('td', { class: t.errors ? 'num bad' : 'num' }, t.errors),
  ]);
  return h('section', {},
    h('h1', {}, 'Traces'),
    search,
    h('p', {}, 'Order: ', order === 'recent' ? h('strong', {}, 'recent') : link('/_cleave/traces', 'recent'), ' · ', order === 'slowest' ? h('strong', {}, 'slowest') : link('/_cleave/traces?order=slowest', 'slowest')),
    table('traces', ['Trace id', 'Root span', 'Service', 'Started', 'Duration', 'Spans', 'Errors'], rows, 'No traces yet: call the API, then refresh.'));
}

export async function tracePage(id) {
  const { traceId, spans } = await api(`/traces/${encodeURIComponent(id)}`);
  const services = [...new Set(spans.map((sp) => sp.service))];
  return h('section', {},
    h('h1', {}, 'Trace ', h('span', { class: 'mono', id: 'trace-id' }, traceId)),
    h('p', { class: 'muted' }, `${spans.length} spans across ${services.length} service(s): ${services.join(', ')}`),
    waterfall(spans),
    h('p', {}, link('/_cleave/traces', '← all traces')));
}
