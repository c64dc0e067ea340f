// Builds DOM nodes. Text always goes in as text nodes, never as markup: the data shown
// (error messages, payload keys) comes from the running system and may contain anything.
const SVG_NS = 'http://www.w3.org/2000/svg';

function build(element, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An HTML element: h('td', { class: 'num' }, 'text', otherNode). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, for the service map. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** A table with a header row; rows are arrays of cells (nodes or text). */
export function table(id, headings, rows, empty = 'nothing yet') {
  if (rows.length === 0) return h('p', { class: 'muted', id }, empty);
  return h('table', { id },
    h('thead', {}, h('tr', {}, headings.map((title) => h('th', { scope: 'col' }, title)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => (cell instanceof Node && cell.nodeName === 'TD' ? cell : h('td', {}, cell)))))));
}

export const num = (value) => h('td', { class: 'num' }, value);
export const ms = (value) => (value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value)} ms`);
export const time = (iso) => new Date(iso).toLocaleString();

/** An in-app link: the router handles it without reloading the page. */
export const link = (href, text) => h('a', { href }, text);

/** Services that did not answer: the page shows the others' data and names these. */
export function unreachableNote(unreachable) {
  if (unreachable.length === 0) return null;
  return h('p', { class: 'error', role: 'alert' }, unreachable.map((u) => `Service ${u.service} (${u.modules.join(', ')}) did not answer: ${u.error}`).join('\n'));
}

/**
 * A button for a change (replay, retry, run now): disabled while `action` runs and after
 * it succeeded, so one click does it once; `action` returns what `status` then says. A
 * failure is said there too and the button can be pressed again.
 */
export function actionButton(label, attrs, status, action) {
  const button = h('button', { type: 'button', ...attrs }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      status.textContent = await action();
    } catch (err) {
      status.textContent = `${label} failed: ${err.message}`;
      button.disabled = false;
    }
  });
  return button;
}

/** Redraws the page in a second (the worker has had a moment), unless the reader has moved on. */
export function redrawSoon(page, rerender) {
  setTimeout(() => location.pathname.endsWith(page) && rerender(), 1_000);
}
