import { expect } from 'vitest';
import type { ApiResponse } from '../support/client.ts';

/** Asserts an RFC 9457 answer: status, content type, stable code, and the trace id echoed. */
export function expectProblem(res: ApiResponse, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
  expect(res.body.traceId).toBe(res.headers.get('x-trace-id'));
}

export function fieldPaths(res: ApiResponse): string[] {
  return (res.body.errors as { path: string }[]).map((e) => e.path);
}
