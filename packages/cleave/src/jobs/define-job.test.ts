import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, retryDelayMs } from './define-job.ts';
import { defineSchedule } from './define-schedule.ts';

describe('defineJob', () => {
  it('fills the defaults and refuses bad names and options', () => {
    const job = defineJob('send', { payload: z.object({}), handler: async () => {} });
    expect(job).toMatchObject({ name: 'send', queue: 'send', maxAttempts: 5, backoffMs: 1_000, timeoutMs: 30_000, concurrency: 5 });
    expect(() => defineJob('has space', { payload: z.object({}), handler: async () => {} })).toThrow('job name "has space"');
    expect(() => defineJob('x', { payload: z.object({}), maxAttempts: 0, handler: async () => {} })).toThrow('job "x": maxAttempts must be a positive integer (got 0)');
  });

  it('keeps a valid rate limit and refuses one whose max or window is not a positive integer', () => {
    const job = (rateLimit: { max: number; perMs: number }) => defineJob('api', { payload: z.object({}), rateLimit, handler: async () => {} });
    expect(job({ max: 2, perMs: 1_000 }).rateLimit).toEqual({ max: 2, perMs: 1_000 });
    expect(defineJob('free', { payload: z.object({}), handler: async () => {} }).rateLimit).toBeUndefined();
    expect(() => job({ max: 0, perMs: 1_000 })).toThrow('job "api": rateLimit.max must be a positive integer (got 0)');
    expect(() => job({ max: 1.5, perMs: 1_000 })).toThrow('rateLimit.max must be a positive integer (got 1.5)');
    expect(() => job({ max: 2, perMs: -5 })).toThrow('rateLimit.perMs must be a positive integer (got -5)');
    expect(() => job({ max: 2, perMs: Number.NaN })).toThrow('rateLimit.perMs must be a positive integer (got NaN)');
  });

  it('backs off exponentially up to the cap', () => {
    const job = { backoffMs: 100, maxBackoffMs: 500 };
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(job, attempt))).toEqual([100, 200, 400, 500]);
  });
});

describe('defineSchedule', () => {
  it('reads the cron expression in its time zone, summer and winter', () => {
    const schedule = defineSchedule('digest', { cron: '0 8 * * *', timeZone: 'Europe/Berlin', handler: async () => {} });
    // 08:00 in Berlin is 06:00 UTC in summer (CEST) and 07:00 UTC in winter (CET).
    expect(schedule.nextTick(new Date('2026-07-01T12:00:00Z'))?.toISOString()).toBe('2026-07-02T06:00:00.000Z');
    expect(schedule.previousTick(new Date('2026-12-01T12:00:00Z'))?.toISOString()).toBe('2026-12-01T07:00:00.000Z');
    expect(schedule.job.name).toBe('digest');
  });

  it('refuses an expression or a time zone that does not parse', () => {
    expect(() => defineSchedule('bad', { cron: 'every day', handler: async () => {} })).toThrow('schedule "bad"');
    expect(() => defineSchedule('zone', { cron: '0 8 * * *', timeZone: 'Mars/Olympus', handler: async () => {} })).toThrow('schedule "zone"');
  });
});
