// Event delivery per module: outbox lag, each subscription's inbox counts, and the dead
// letters, each with a Replay button (back to the subscriber's handler).
import { api } from './api.js';
import { actionButton, h, num, redrawSoon, table, time, unreachableNote } from './dom.js';

export async function eventsPage(rerender) {
  const { modules, unreachable } = await api('/events');
  const status = h('p', { id: 'replay-status', role: 'status' });
  const replay = async (letter) => {
    const { replayed } = await api('/events/replay', { method: 'POST', body: JSON.stringify({ module: letter.module, eventIds: [letter.eventId] }) });
    redrawSoon('/events', rerender);
    return `${replayed} dead letter(s) sent back to ${letter.module}'s handler.`;
  };
  const subscriptions = modules.flatMap((m) => m.subscriptions.map((sub) => [m.module, m.service, sub.event, num(sub.pending), num(sub.retrying), num(sub.done), h('td', { class: sub.dead ? 'num bad' : 'num' }, sub.dead)]));
  const letters = modules.flatMap((m) => m.deadLetters).map((l) => [
    h('td', { class: 'mono' }, l.eventId), l.module, `${l.publisher} · ${l.name}`, l.aggregateKey, num(l.attempts), h('td', { class: 'error-text' }, l.lastError ?? ''), time(l.receivedAt),
    actionButton('Replay', { class: 'replay', 'data-event-id': l.eventId }, status, () => replay(l)),
  ]);
  return h('section', {},
    h('h1', {}, 'Events'),
    unreachableNote(unreachable),
    h('h2', {}, 'Outbox'),
    table('outboxes', ['Module', 'Service', 'Lag (unpublished)', 'Oldest unpublished'], modules.map((m) => [m.module, m.service, num(m.outboxLag), m.oldestUnpublishedSeconds === null ? '—' : `${m.oldestUnpublishedSeconds} s`])),
    h('h2', {}, 'Subscriptions'),
    table('subscriptions', ['Subscriber', 'Service', 'Event', 'Pending', 'Retrying', 'Done', 'Dead'], subscriptions, 'No events received yet.'),
    h('h2', {}, 'Dead letters'),
    status,
    table('dead-letters', ['Event id', 'Subscriber', 'Event', 'Aggregate', 'Attempts', 'Last error', 'Received', ''], letters, 'No dead letters.'));
}
