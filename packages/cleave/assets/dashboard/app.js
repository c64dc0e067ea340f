// The dashboard's router: every page is a function of the path that returns a node.
// Links inside the app change the path without a reload; Refresh redraws the page.
import { ApiError, setToken } from './api.js';
import { h } from './dom.js';
import { checklistPage } from './checklist-page.js';
import { eventsPage } from './events-page.js';
import { jobsPage } from './jobs-page.js';
import { mapPage } from './map-page.js';
import { sagaPage, sagasPage } from './sagas-page.js';
import { tracePage, tracesPage } from './traces-page.js';

const BASE = '/_cleave';
const routes = [
  [/^\/?$/, 'map', () => mapPage()],
  [/^\/map$/, 'map', () => mapPage()],
  [/^\/traces$/, 'traces', () => tracesPage(navigate)],
  [/^\/traces\/([^/]+)$/, 'traces', (id) => tracePage(decodeURIComponent(id))],
  [/^\/events$/, 'events', () => eventsPage(render)],
  [/^\/jobs$/, 'jobs', () => jobsPage(render)],
  [/^\/sagas$/, 'sagas', () => sagasPage(navigate)],
  [/^\/sagas\/([^/]+)$/, 'sagas', (id) => sagaPage(decodeURIComponent(id))],
  [/^\/checklist$/, 'checklist', () => checklistPage()],
];

const main = document.getElementById('page');

function tokenForm(error) {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', required: true, 'aria-label': 'admin token' });
  return h('form', { class: 'token', onsubmit: (e) => { e.preventDefault(); setToken(input.value); render(); } },
    h('p', {}, error.message),
    h('label', {}, 'Admin token (CLEAVE_ADMIN_TOKEN) ', input),
    h('button', { type: 'submit' }, 'Open'));
}

let drawing = 0;
export async function render() {
  const path = location.pathname.slice(BASE.length).replace(/\/$/, '') || '/';
  const route = routes.find(([pattern]) => pattern.test(path));
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('current', route !== undefined && a.dataset.page === route[1]);
  const mine = ++drawing;
  let node;
  try {
    node = route ? await route[2](...path.match(route[0]).slice(1)) : h('p', {}, `No page at ${location.pathname}`);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) node = tokenForm(err);
    else node = h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err));
  }
  // A slower earlier draw must not replace a later one.
  if (mine === drawing) main.replaceChildren(node);
}

export function navigate(href) {
  history.pushState(null, '', href);
  render();
}

document.addEventListener('click', (e) => {
  const a = e.target instanceof Element ? e.target.closest('a[href]') : null;
  if (!a || a.origin !== location.origin || !a.pathname.startsWith(BASE) || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
});
window.addEventListener('popstate', render);
document.getElementById('refresh').addEventListener('click', render);
render();
