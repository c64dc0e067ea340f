import { describe, expect, it } from 'vitest';
import { formatTraceparent, newSpanId, newTraceContext, parseTraceparent } from './trace-context.ts';

const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent', () => {
  it('parses a valid header', () => {
    expect(parseTraceparent(valid)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
  });

  it('round-trips parse and format', () => {
    expect(formatTraceparent(parseTraceparent(valid)!)).toBe(valid);
    const unsampled = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    expect(formatTraceparent(parseTraceparent(unsampled)!)).toBe(unsampled);
    const fresh = newTraceContext();
    expect(parseTraceparent(formatTraceparent(fresh))).toEqual(fresh);
  });

  it('formats flags as two hex digits', () => {
    expect(formatTraceparent({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 0 })).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-00`);
  });

  it.each([
    ['absent', undefined],
    ['null', null],
    ['empty', ''],
    ['garbage', 'not-a-traceparent'],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['non-hex', '00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['missing flags', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7'],
    ['all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['all-zero span id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
  ])('is undefined for a %s header', (_label, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('makes new, valid, sampled contexts by default', () => {
    const a = newTraceContext();
    const b = newTraceContext();
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(a.traceFlags).toBe(1);
    expect(a.traceId).not.toBe(b.traceId);
    expect(newTraceContext(false).traceFlags).toBe(0);
    expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/);
  });
});
