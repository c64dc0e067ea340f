import { expect, it } from 'vitest';
import { DEFAULT_JOB_RETENTION, jobRetentionFromEnv } from './job-retention-settings.ts';

it('keeps done jobs a week and dead ones 30 days unless told otherwise', () => {
  expect(jobRetentionFromEnv({})).toEqual(DEFAULT_JOB_RETENTION);
  expect(DEFAULT_JOB_RETENTION).toEqual({ doneMs: 7 * 86_400_000, deadMs: 30 * 86_400_000 });
  expect(jobRetentionFromEnv({ CLEAVE_JOBS_RETAIN_DONE: '36h', CLEAVE_JOBS_RETAIN_DEAD: 'forever' })).toEqual({ doneMs: 36 * 3_600_000, deadMs: undefined });
  expect(jobRetentionFromEnv({ CLEAVE_JOBS_RETAIN_DONE: '90', CLEAVE_JOBS_RETAIN_DEAD: '2w' })).toEqual({ doneMs: 90_000, deadMs: 14 * 86_400_000 });
  expect(jobRetentionFromEnv({ CLEAVE_JOBS_RETAIN_DONE: '500ms' }).doneMs).toBe(500);
});

it('refuses a retention it cannot read, or none at all', () => {
  for (const raw of ['0', '0d', '7 days', '-1d', '1y', 'never']) {
    expect(() => jobRetentionFromEnv({ CLEAVE_JOBS_RETAIN_DONE: raw }), raw).toThrow(/CLEAVE_JOBS_RETAIN_DONE must be a positive duration/);
  }
});
