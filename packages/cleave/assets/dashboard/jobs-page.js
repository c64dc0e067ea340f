// Background jobs per module: counts per queue, the schedules (each with Run now), the
// failing jobs (a dead one with Retry, as `cleave jobs retry`) and the most recent jobs.
import { api } from './api.js';
import { actionButton, h, num, redrawSoon, table, time, unreachableNote } from './dom.js';

const post = (path, body) => api(path, { method: 'POST', body: JSON.stringify(body) });
const when = (iso) => (iso ? time(iso) : '—');
const state = (job) => h('td', { class: `state ${job.status}` }, job.status);

// What the last Run now or Retry did: the redraw that follows it keeps saying so.
let lastDone = '';

export async function jobsPage(rerender) {
  const { modules, unreachable } = await api('/jobs');
  const status = h('p', { id: 'jobs-status', role: 'status' }, lastDone);
  const runNow = async (module, schedule) => {
    const { run } = await post('/jobs/run', { module, schedule });
    redrawSoon('/jobs', rerender);
    return (lastDone = `${module}.${schedule} enqueued for ${run.tick} as job ${run.id}.`);
  };
  const retry = async (job) => {
    await post('/jobs/retry', { module: job.module, id: job.id });
    redrawSoon('/jobs', rerender);
    return (lastDone = `Job ${job.id} sent back to ${job.module}'s worker.`);
  };
  const queues = modules.flatMap((m) => m.queues.map((q) => [m.module, m.service, q.queue, q.jobs.join(', '), num(q.pending), num(q.running), num(q.done), h('td', { class: q.dead ? 'num bad' : 'num' }, q.dead)]));
  const schedules = modules.flatMap((m) => m.schedules.map((sc) => [
    m.module, sc.name, h('td', { class: 'mono' }, sc.cron), sc.timeZone, when(sc.lastTick), when(sc.nextTick),
    actionButton('Run now', { class: 'run-now', 'data-schedule': sc.name }, status, () => runNow(m.module, sc.name)),
  ]));
  const failures = modules.flatMap((m) => m.failures).map((j) => [
    h('td', { class: 'mono' }, j.id), j.module, j.name, state(j), num(`${j.attempts}/${j.maxAttempts}`), h('td', { class: 'error-text' }, j.lastError ?? ''), when(j.finishedAt ?? j.runAt),
    j.status === 'dead' ? actionButton('Retry', { class: 'retry', 'data-job-id': j.id }, status, () => retry(j)) : 'retrying',
  ]);
  const recent = modules.flatMap((m) => m.recent).sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, 50)
    .map((j) => [h('td', { class: 'mono' }, j.id), j.module, j.name, state(j), num(`${j.attempts}/${j.maxAttempts}`), h('td', { class: 'mono' }, j.key ?? ''), time(j.createdAt), when(j.startedAt), when(j.finishedAt)]);
  return h('section', {},
    h('h1', {}, 'Jobs'),
    unreachableNote(unreachable),
    status,
    h('h2', {}, 'Queues'),
    table('queues', ['Module', 'Runs in', 'Queue', 'Jobs', 'Pending', 'Running', 'Done', 'Dead'], queues, 'No module declares jobs.'),
    h('h2', {}, 'Schedules'),
    table('schedules', ['Module', 'Schedule', 'Cron', 'Time zone', 'Last tick', 'Next tick', ''], schedules, 'No schedules.'),
    h('h2', {}, 'Failing and dead jobs'),
    table('job-failures', ['Job id', 'Module', 'Job', 'State', 'Attempts', 'Last error', 'At', ''], failures, 'No failing jobs.'),
    h('h2', {}, 'Recent jobs'),
    table('recent-jobs', ['Job id', 'Module', 'Job', 'State', 'Attempts', 'Key', 'Enqueued', 'Started', 'Finished'], recent, 'No jobs yet.'));
}
