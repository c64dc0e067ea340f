// The seed's readiness checklist with evidence, as `cleave check` prints it.
import { api } from './api.js';
import { h } from './dom.js';

const MARK = { met: '✓', unmet: '✗', unknown: '?' };

export async function checklistPage() {
  const report = await api('/checklist');
  return h('section', {},
    h('h1', {}, 'Microservices readiness checklist'),
    h('p', { class: `verdict ${report.verdict.decision}`, id: 'verdict' }, report.verdict.words),
    report.groups.map((group) => h('section', { class: 'group' },
      h('h2', {}, group.name),
      h('ul', { class: 'checklist' }, group.items.map((it) => h('li', { class: it.status },
        h('span', { class: 'mark', title: it.status }, MARK[it.status]), ' ', h('strong', {}, it.item),
        h('ul', { class: 'evidence' }, it.evidence.map((e) => h('li', {}, e)))))))));
}
