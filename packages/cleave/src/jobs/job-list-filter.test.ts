import { expect, it } from 'vitest';
import { parseJobListOptions } from './job-list-filter.ts';

it('turns list options into a filter and a start', () => {
  expect(parseJobListOptions({})).toEqual({ filter: { limit: 100 }, start: undefined });
  expect(parseJobListOptions({ status: 'dead, pending', name: 'mail', queue: 'out', limit: '20', before: 'a1b2' })).toEqual({
    filter: { limit: 20, statuses: ['dead', 'pending'], name: 'mail', queue: 'out' },
    start: { id: 'a1b2' },
  });
  expect(parseJobListOptions({ before: '2026-12-02T08:00:00.000Z' }).start).toEqual({ time: new Date('2026-12-02T08:00:00.000Z') });
  expect(parseJobListOptions({ before: '2026-12-02' }).start).toEqual({ time: new Date('2026-12-02T00:00:00.000Z') });
});

it('refuses options it cannot honour, naming the option', () => {
  for (const [raw, message] of [
    [{ status: 'finished' }, /status must be .*pending, running, done, dead.*"finished"/],
    [{ limit: '0' }, /limit must be a whole number from 1 to 1000/],
    [{ limit: '1001' }, /limit/],
    [{ limit: '2.5' }, /limit/],
    [{ limit: 'ten' }, /limit/],
    [{ name: '' }, /name must not be empty/],
    [{ before: '2026-13-45T99:00:00Z' }, /before is not a valid instant/],
  ] as const) {
    expect(() => parseJobListOptions(raw), JSON.stringify(raw)).toThrow(message);
  }
});
