import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CleaveError, isCleaveError } from '../../src/errors/cleave-error.ts';
import { errors } from '../../src/errors/framework-errors.ts';
import { newTraceContext } from '../../src/telemetry/trace-context.ts';
import { echoApi } from './test-app.ts';
import type { CallerEntry, Probe } from './test-app.ts';

/**
 * The call-transport conformance suite: the same cases against every transport, so a
 * module behaves the same whether its callee runs in its own process or across the
 * network (ADR 0001). A transport's test file supplies `setup`: the caller module
 * (`client`) wired to the callee (`echo`) through that transport.
 */
export interface CallTransportFixture {
  /** Invokes an operation of the caller module, which forwards it to echo. */
  readonly caller: CallerEntry;
  /** What reached the transport under test and echo's handlers. */
  readonly probe: Probe;
  teardown(): Promise<void>;
}

export type ConformanceCase =
  | 'round-trip'
  | 'concurrent-contexts'
  | 'typed-error'
  | 'typed-error-reserved-detail-keys'
  | 'validation-error'
  | 'output-validation'
  | 'unexpected-callee-error'
  | 'deadline-budget'
  | 'deadline-slow-callee'
  | 'deadline-expired'
  | 'idempotency-key'
  | 'idempotency-key-unicode'
  | 'user-and-caller'
  | 'trace'
  | 'undeclared-dependency'
  | 'raw-bytes';

export interface ConformanceOptions {
  /**
   * Cases this transport fails because of a framework bug, with the reason: they run as
   * `it.fails`, so the suite goes red when the bug is fixed and the entry must go.
   */
  readonly knownBugs?: Partial<Record<ConformanceCase, string>>;
}

/** The rejection of `promise`, which must be a CleaveError; fails if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<CleaveError> {
  const outcome = await promise.then(
    (value: unknown) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(CleaveError);
  return outcome.error as CleaveError;
}

export function callTransportConformance(name: string, setup: () => Promise<CallTransportFixture>, options: ConformanceOptions = {}): void {
  describe(`call transport conformance: ${name}`, () => {
    let fixture: CallTransportFixture | undefined;
    let caller: CallerEntry;
    let probe: Probe;

    beforeEach(async () => {
      fixture = await setup();
      caller = fixture.caller;
      probe = fixture.probe;
    });
    afterEach(async () => {
      await fixture?.teardown();
      fixture = undefined;
    });

    function conformance(id: ConformanceCase, title: string, body: () => Promise<void>): void {
      const bug = options.knownBugs?.[id];
      if (bug === undefined) it(`${id}: ${title}`, body);
      else it.fails(`${id}: ${title} [known bug: ${bug}]`, body);
    }

    conformance('raw-bytes', 'bytes in and out arrive byte for byte beside their fields; the callee validates them', async () => {
      // Every byte value, and more than one network chunk.
      const sent = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256);
      const output = (await caller('reverse', { body: sent, contentType: 'image/png', label: 'ünïcode tag' })) as { body: Uint8Array; contentType: string; etag: string };
      expect(output.body).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(output.body).equals(Buffer.from(Uint8Array.from(sent).reverse()))).toBe(true);
      expect(output).toMatchObject({ contentType: 'image/png', etag: '"ünïcode tag"' });
      expect(probe.count('reverse')).toBe(1);
      // Not bytes: the callee's schema refuses, whichever transport carried the call.
      expect((await rejectionOf(caller('reverse', { body: 'not bytes', contentType: 'x', label: 'l' }))).code).toBe(errors.VALIDATION_FAILED.code);
      const tooMany = new Uint8Array(4 * 1024 * 1024 + 1);
      expect((await rejectionOf(caller('reverse', { body: tooMany, contentType: 'x', label: 'l' }))).code).toBe(errors.VALIDATION_FAILED.code);
    });

    conformance('round-trip', 'the output arrives as the callee returned it, validated (undeclared fields stripped)', async () => {
      const trace = newTraceContext();
      const output = await caller('echo', { text: 'hello', tags: ['a'] }, { trace, user: { id: 'u-1' } });
      expect(output).toStrictEqual({
        text: 'hello',
        user: 'u-1',
        caller: 'client',
        idempotencyKey: null,
        remainingMs: expect.any(Number),
        traceId: trace.traceId,
      });
      expect(output).not.toHaveProperty('secret');
      // The call went through the transport under test, and reached echo once.
      expect(probe.transportCalls).toEqual(['echo.echo']);
      expect(probe.count('echo')).toBe(1);
    });

    conformance('concurrent-contexts', 'concurrent calls each keep their own input, user, trace and key', async () => {
      const requests = Array.from({ length: 20 }, (_, i) => ({
        text: `t${i}`,
        user: i % 3 === 0 ? undefined : { id: `u-${i % 4}` },
        trace: newTraceContext(),
        key: i % 2 === 0 ? `k-${i}` : undefined,
      }));
      const outputs = await Promise.all(
        requests.map((r) => caller('echo', r.key === undefined ? { text: r.text } : { text: r.text, idempotencyKey: r.key }, { user: r.user, trace: r.trace })),
      );
      expect(outputs).toEqual(
        requests.map((r) => ({
          text: r.text,
          user: r.user?.id ?? null,
          caller: 'client',
          idempotencyKey: r.key ?? null,
          remainingMs: expect.any(Number),
          traceId: r.trace.traceId,
        })),
      );
    });

    conformance('typed-error', 'a contract error arrives as a CleaveError with the same code, status, title, detail and details', async () => {
      const details = { resource: 'doc-7', version: 3, reasons: ['stale', 'locked'], owner: { id: 'u-9', since: null } };
      const err = await rejectionOf(caller('fail', { code: 'CONFLICT', details }));
      expect(isCleaveError(err, echoApi.$errors.CONFLICT)).toBe(true);
      expect({ code: err.code, status: err.status, title: err.title, detail: err.detail, message: err.message }).toEqual({
        code: 'echo.CONFLICT',
        status: 409,
        title: 'Echo conflict',
        detail: 'echo refuses (CONFLICT)',
        message: 'echo refuses (CONFLICT)',
      });
      expect(err.details).toStrictEqual(details);

      // Without details: none appear on the way.
      const gone = await rejectionOf(caller('fail', { code: 'GONE' }));
      expect({ code: gone.code, status: gone.status, detail: gone.detail, details: gone.details }).toEqual({
        code: 'echo.GONE',
        status: 410,
        detail: 'echo refuses (GONE)',
        details: undefined,
      });
      expect(probe.count('fail')).toBe(2);
    });

    conformance('typed-error-reserved-detail-keys', 'details whose keys are also problem-details members (type, status) arrive intact', async () => {
      const details = { type: 'email', status: 'pending', field: 'address' };
      const err = await rejectionOf(caller('fail', { code: 'CONFLICT', details }));
      expect(err.code).toBe('echo.CONFLICT');
      expect(err.status).toBe(409);
      expect(err.details).toStrictEqual(details);
    });

    conformance('validation-error', 'invalid input to the callee fails with VALIDATION_FAILED and field paths, before its handler', async () => {
      const err = await rejectionOf(caller('echoRaw', { payload: { text: '', tags: ['ok', 7] } }));
      expect(err.code).toBe(errors.VALIDATION_FAILED.code);
      expect(err.status).toBe(400);
      expect(err.detail).toMatch(/^invalid input for echo\.echo: /);
      const fieldErrors = (err.details as { errors: { path: string; code: string; message: string }[] }).errors;
      expect(fieldErrors.map((e) => e.path).sort()).toEqual(['tags.1', 'text']);
      expect(fieldErrors.find((e) => e.path === 'tags.1')).toMatchObject({ code: 'invalid_type', message: expect.any(String) });
      expect(fieldErrors.find((e) => e.path === 'text')).toMatchObject({ code: 'too_small' });
      expect(probe.transportCalls).toEqual(['echo.echo']);
      expect(probe.count('echo')).toBe(0);
    });

    conformance('output-validation', 'a callee that breaks its output schema fails with OUTPUT_INVALID', async () => {
      const err = await rejectionOf(caller('broken', {}));
      expect(err.code).toBe(errors.OUTPUT_INVALID.code);
      expect(err.status).toBe(500);
      expect((err.details as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['n']);
      expect(probe.count('broken')).toBe(1);
    });

    conformance('unexpected-callee-error', "a callee's plain Error arrives as cleave.INTERNAL, without its message", async () => {
      const err = await rejectionOf(caller('crash', {}));
      expect(err.code).toBe(errors.INTERNAL.code);
      expect(err.status).toBe(500);
      expect(err.message).not.toContain('hunter2');
      expect(JSON.stringify(err.details ?? {})).not.toContain('hunter2');
    });

    conformance('deadline-budget', 'the callee sees a budget no larger than timeoutMs, or the caller’s own deadline without it', async () => {
      const bounded = (await caller('echo', { text: 'x', timeoutMs: 500 })) as { remainingMs: number };
      expect(bounded.remainingMs).toBeGreaterThan(0);
      expect(bounded.remainingMs).toBeLessThanOrEqual(500);

      const inherited = (await caller('echo', { text: 'x' }, { deadline: Date.now() + 5_000 })) as { remainingMs: number };
      expect(inherited.remainingMs).toBeLessThanOrEqual(5_000);
      expect(inherited.remainingMs).toBeGreaterThan(1_000);
    });

    conformance('deadline-slow-callee', 'a callee slower than timeoutMs fails with DEADLINE_EXCEEDED before it would have finished', async () => {
      const sleepMs = 1_000;
      const timeoutMs = 100;
      const started = performance.now();
      const err = await rejectionOf(caller('slow', { ms: sleepMs, timeoutMs }));
      const elapsed = performance.now() - started;
      expect(err.code).toBe(errors.DEADLINE_EXCEEDED.code);
      expect(err.status).toBe(504);
      // Bounded by the timeout, not by the callee: well under the sleep.
      expect(elapsed).toBeLessThan(sleepMs / 2);
      // The callee did start, with no more budget than the caller gave it.
      expect(probe.count('slow')).toBe(1);
      expect(probe.entries[0]?.remainingMs).toBeLessThanOrEqual(timeoutMs);
    });

    conformance('deadline-expired', 'a call whose deadline has already passed fails with DEADLINE_EXCEEDED and never runs the callee', async () => {
      for (const timeoutMs of [0, -50]) {
        const err = await rejectionOf(caller('echo', { text: 'late', timeoutMs }));
        expect(err.code).toBe(errors.DEADLINE_EXCEEDED.code);
        expect(err.status).toBe(504);
      }
      expect(probe.transportCalls).toEqual(['echo.echo', 'echo.echo']);
      expect(probe.count('echo')).toBe(0);
    });

    conformance('idempotency-key', 'the idempotency key set on the call reaches the callee; none when not set', async () => {
      const keyed = (await caller('echo', { text: 'x', idempotencyKey: 'order-42/attempt-1' })) as { idempotencyKey: string | null };
      expect(keyed.idempotencyKey).toBe('order-42/attempt-1');
      // The caller's own key is not inherited by its calls.
      const unkeyed = (await caller('echo', { text: 'x' }, { idempotencyKey: 'the-callers-own' })) as { idempotencyKey: string | null };
      expect(unkeyed.idempotencyKey).toBeNull();
    });

    conformance('idempotency-key-unicode', 'an idempotency key with non-ASCII characters (Latin-1 and beyond) reaches the callee unchanged', async () => {
      for (const key of ['café-42', 'заказ-42-€']) {
        const keyed = (await caller('echo', { text: 'x', idempotencyKey: key })) as { idempotencyKey: string | null };
        expect(keyed.idempotencyKey).toBe(key);
      }
    });

    conformance('user-and-caller', 'the end user and the calling module reach the callee', async () => {
      const withUser = (await caller('echo', { text: 'x' }, { user: { id: 'user-7f3a' }, caller: 'gateway' })) as { user: string | null; caller: string };
      expect(withUser).toMatchObject({ user: 'user-7f3a', caller: 'client' });
      const anonymous = (await caller('echo', { text: 'x' }, { user: undefined })) as { user: string | null; caller: string };
      expect(anonymous).toMatchObject({ user: null, caller: 'client' });
      // The callee's ctx, not only its answer.
      expect(probe.entries.map((e) => [e.ctx.user?.id, e.ctx.caller])).toEqual([
        ['user-7f3a', 'client'],
        [undefined, 'client'],
      ]);
    });

    conformance('trace', "the caller's trace id reaches the callee", async () => {
      const first = newTraceContext();
      const second = newTraceContext();
      const a = (await caller('echo', { text: 'x' }, { trace: first })) as { traceId: string };
      const b = (await caller('echo', { text: 'x' }, { trace: second })) as { traceId: string };
      expect(a.traceId).toBe(first.traceId);
      expect(b.traceId).toBe(second.traceId);
      expect(probe.entries.map((e) => e.ctx.trace.traceId)).toEqual([first.traceId, second.traceId]);
    });

    conformance('undeclared-dependency', 'calling a module not in dependsOn fails with UNDECLARED_DEPENDENCY before any transport', async () => {
      const err = await rejectionOf(caller('undeclared', {}));
      expect(err.code).toBe(errors.UNDECLARED_DEPENDENCY.code);
      expect(err.detail).toContain('ledger');
      expect(probe.transportCalls).toEqual([]);
    });
  });
}
