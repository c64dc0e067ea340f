// Sagas by state, and one saga's steps (compensations show as the steps they undid).
import { api } from './api.js';
import { h, link, num, table, time, unreachableNote } from './dom.js';

const STATES = ['', 'running', 'compensating', 'completed', 'failed', 'stuck'];

export async function sagasPage(navigate) {
  const status = new URLSearchParams(location.search).get('status') ?? '';
  const { sagas, unreachable } = await api(`/sagas${status ? `?status=${encodeURIComponent(status)}` : ''}`);
  const select = h('select', { name: 'status', 'aria-label': 'state', onchange: () => navigate(`/_cleave/sagas${select.value ? `?status=${select.value}` : ''}`) },
    STATES.map((st) => h('option', { value: st, selected: st === status }, st || 'any state')));
  const rows = sagas.map((sg) => [h('td', { class: 'mono' }, link(`/_cleave/sagas/${sg.id}`, sg.id)), `${sg.module}.${sg.name}`, h('td', { class: `state ${sg.status}` }, sg.status), num(sg.attempts), h('td', { class: 'error-text' }, sg.error ?? ''), time(sg.createdAt), time(sg.updatedAt)]);
  return h('section', {},
    h('h1', {}, 'Sagas'),
    unreachableNote(unreachable),
    h('p', {}, h('label', {}, 'State ', select)),
    table('sagas', ['Saga id', 'Saga', 'State', 'Attempts', 'Error', 'Started', 'Updated'], rows, status ? `No ${status} sagas.` : 'No sagas yet.'));
}

export async function sagaPage(id) {
  const { saga } = await api(`/sagas/${encodeURIComponent(id)}`);
  const compensations = saga.steps.filter((st) => st.status === 'compensated' || st.status === 'compensation_failed');
  const rows = saga.steps.map((st, i) => [num(i + 1), st.name, h('td', { class: `state ${st.status}` }, st.status), num(st.attempts), h('td', { class: 'error-text' }, st.error ?? ''), time(st.updatedAt)]);
  return h('section', {},
    h('h1', {}, `${saga.module}.${saga.name} `, h('span', { class: 'mono' }, saga.id)),
    h('p', {}, 'State: ', h('strong', { class: `state ${saga.status}`, id: 'saga-state' }, saga.status), saga.error ? ` — ${saga.error}` : '', ` · ${saga.attempts} attempt(s) · started ${time(saga.createdAt)}`),
    h('h2', {}, 'Steps'),
    table('steps', ['#', 'Step', 'State', 'Attempts', 'Error', 'Updated'], rows, 'No step has run yet.'),
    h('h2', {}, 'Compensations'),
    compensations.length === 0
      ? h('p', { class: 'muted', id: 'compensations' }, 'None ran.')
      : h('ul', { id: 'compensations' }, compensations.map((st) => h('li', {}, `${st.name}: ${st.status === 'compensated' ? 'undone' : 'undo failed'}`))),
    h('p', {}, link(`/_cleave/traces/${saga.id}`, 'Its trace'), ' · ', link('/_cleave/sagas', '← all sagas')),
    h('h2', {}, 'Input'),
    h('pre', {}, JSON.stringify(saga.input, null, 2)));
}
