import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { CleaveError } from '../errors/cleave-error.ts';
import { defineContract, operation } from '../module/contract.ts';
import { defineModule } from '../module/define-module.ts';
import type { ModuleContext } from '../module/module-context.ts';
import type { RequestContext } from '../module/request-context.ts';
import { createLogger } from '../telemetry/logger.ts';
import { newTraceContext } from '../telemetry/trace-context.ts';
import { SpanStore } from '../telemetry/span-store.ts';
import { createTracer, disabledTracer } from '../telemetry/tracer.ts';
import type { Tracer } from '../telemetry/tracer.ts';
import { InProcessTransport } from '../transport/in-process.ts';
import { CallRouter } from './call-router.ts';
import { ModuleRuntime } from './module-runtime.ts';

const beta = defineContract('beta', {
  operations: {
    echo: operation({ input: z.object({ name: z.string().min(2), age: z.number().int() }), output: z.object({ greeting: z.string() }) }),
    order: operation({ input: z.object({ items: z.array(z.object({ qty: z.number().int().positive() })) }), output: z.object({ count: z.number() }) }),
    broken: operation({ input: z.object({}), output: z.object({ n: z.number() }) }),
    inspect: operation({ input: z.object({}), output: z.object({ ok: z.literal(true) }) }),
    fail: operation({ input: z.object({}), output: z.object({}) }),
  },
  errors: { NOPE: { status: 409, title: 'Nope' } },
});
const gamma = defineContract('gamma', { operations: { ping: operation({ input: z.object({}), output: z.object({}) }) } });
const alpha = defineContract('alpha', { operations: { run: operation({ input: z.object({}), output: z.unknown() }) } });

// What the handlers saw, reset before each test.
let calls: Record<string, number>;
let seen: ModuleContext<unknown>[];
let thrown: CleaveError | undefined;
let alphaBody: (ctx: ModuleContext<unknown>) => Promise<unknown>;
const count = (op: string) => (calls[op] = (calls[op] ?? 0) + 1);

const betaModule = defineModule(beta, {
  handlers: {
    echo: async ({ name }) => {
      count('echo');
      // A field the output schema does not declare: must not leak to the caller.
      const answer = { greeting: `hi ${name}`, passwordHash: 'secret' };
      return answer;
    },
    order: async ({ items }) => {
      count('order');
      return { count: items.length };
    },
    broken: async () => {
      count('broken');
      return { n: 'not a number' as unknown as number };
    },
    inspect: async (_input, ctx) => {
      count('inspect');
      seen.push(ctx);
      return { ok: true as const };
    },
    fail: async () => {
      count('fail');
      thrown = beta.$errors.NOPE('no way', { reason: 'test' });
      throw thrown;
    },
  },
});
const gammaModule = defineModule(gamma, {
  handlers: {
    ping: async () => {
      count('ping');
      return {};
    },
  },
});
const alphaModule = defineModule(alpha, { dependsOn: [beta], handlers: { run: async (_input, ctx) => alphaBody(ctx) } });

const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
const logger = createLogger({ service: 'test', destination: silent });

function build(tracer: Tracer = disabledTracer) {
  const router = new CallRouter();
  const runtimes = new Map<string, ModuleRuntime>();
  for (const definition of [alphaModule, betaModule, gammaModule]) {
    const runtime = new ModuleRuntime(definition, {} as Kysely<unknown>, logger, tracer, router);
    runtimes.set(definition.name, runtime);
    router.register(definition.name, new InProcessTransport(runtime));
  }
  return { router, runtimes };
}

function rootContext(overrides: Partial<RequestContext> = {}): RequestContext {
  return { trace: newTraceContext(), user: { id: 'u1' }, caller: 'gateway', deadline: Date.now() + 10_000, idempotencyKey: undefined, ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<CleaveError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CleaveError);
  return err as CleaveError;
}

beforeEach(() => {
  calls = {};
  seen = [];
  thrown = undefined;
  alphaBody = async () => null;
});

describe('ModuleRuntime', () => {
  it('runs a handler and returns its parsed output', async () => {
    const { router } = build();
    await expect(router.dispatch(beta.echo, { name: 'Ada', age: 36 }, rootContext())).resolves.toEqual({ greeting: 'hi Ada' });
    expect(calls.echo).toBe(1);
  });

  it('strips output fields the contract does not declare', async () => {
    const { router } = build();
    const output = (await router.dispatch(beta.echo, { name: 'Ada', age: 36 }, rootContext())) as Record<string, unknown>;
    expect(output).not.toHaveProperty('passwordHash');
    expect(Object.keys(output)).toEqual(['greeting']);
  });

  it('refuses invalid input with cleave.VALIDATION_FAILED (400) and field paths, without running the handler', async () => {
    const { router } = build();
    const err = await rejection(router.dispatch(beta.echo, { name: 'A', age: 'old' }, rootContext()));
    expect(err.code).toBe('cleave.VALIDATION_FAILED');
    expect(err.status).toBe(400);
    const fields = (err.details as { errors: { path: string; code: string }[] }).errors;
    expect(fields.map((f) => f.path).sort()).toEqual(['age', 'name']);
    expect(err.detail).toMatch(/^invalid input for beta\.echo: /);
    expect(calls.echo).toBeUndefined();
  });

  it('reports nested field paths as dotted paths', async () => {
    const { router } = build();
    const err = await rejection(router.dispatch(beta.order, { items: [{ qty: 1 }, { qty: -1 }] }, rootContext()));
    expect(err.code).toBe('cleave.VALIDATION_FAILED');
    expect(err.details).toEqual({ errors: [expect.objectContaining({ path: 'items.1.qty', code: 'too_small' })] });
  });

  it('turns an output that breaks the contract into cleave.OUTPUT_INVALID (500)', async () => {
    const { router } = build();
    const err = await rejection(router.dispatch(beta.broken, {}, rootContext()));
    expect(err.code).toBe('cleave.OUTPUT_INVALID');
    expect(err.status).toBe(500);
    expect(err.detail).toMatch(/output of beta\.broken/);
    expect((err.details as { errors: { path: string }[] }).errors[0]?.path).toBe('n');
    expect(calls.broken).toBe(1);
  });

  it('refuses a call to a module not in dependsOn with cleave.UNDECLARED_DEPENDENCY', async () => {
    const { router } = build();
    alphaBody = (ctx) => ctx.call(gamma.ping, {});
    const err = await rejection(router.dispatch(alpha.run, {}, rootContext()));
    expect(err.code).toBe('cleave.UNDECLARED_DEPENDENCY');
    expect(err.status).toBe(500);
    expect(err.detail).toContain('gamma.ping');
    expect(calls.ping).toBeUndefined();
  });

  it('allows a call to a declared dependency', async () => {
    const { router } = build();
    alphaBody = (ctx) => ctx.call(beta.echo, { name: 'Bob', age: 2 });
    await expect(router.dispatch(alpha.run, {}, rootContext())).resolves.toEqual({ greeting: 'hi Bob' });
  });

  it('refuses a call whose deadline has passed with cleave.DEADLINE_EXCEEDED, without running the handler', async () => {
    const { router } = build();
    const err = await rejection(router.dispatch(beta.echo, { name: 'Ada', age: 36 }, rootContext({ deadline: Date.now() - 1 })));
    expect(err.code).toBe('cleave.DEADLINE_EXCEEDED');
    expect(err.status).toBe(504);
    expect(calls.echo).toBeUndefined();
  });

  it('checks the deadline before validating input', async () => {
    const { router } = build();
    const err = await rejection(router.dispatch(beta.echo, { bad: true }, rootContext({ deadline: Date.now() - 1 })));
    expect(err.code).toBe('cleave.DEADLINE_EXCEEDED');
  });

  it('passes the caller deadline unchanged when no timeout is given', async () => {
    const { router } = build();
    const deadline = Date.now() + 5_000;
    alphaBody = (ctx) => ctx.call(beta.inspect, {});
    await router.dispatch(alpha.run, {}, rootContext({ deadline }));
    expect(seen[0]?.deadline).toBe(deadline);
  });

  it('callOptions.timeoutMs shortens the deadline the callee sees', async () => {
    const { router } = build();
    const deadline = Date.now() + 10_000;
    alphaBody = (ctx) => ctx.call(beta.inspect, {}, { timeoutMs: 50 });
    const before = Date.now();
    await router.dispatch(alpha.run, {}, rootContext({ deadline }));
    const after = Date.now();
    const calleeDeadline = seen[0]?.deadline ?? Number.NaN;
    expect(calleeDeadline).toBeGreaterThanOrEqual(before + 50);
    expect(calleeDeadline).toBeLessThanOrEqual(after + 50);
    expect(calleeDeadline).toBeLessThan(deadline);
  });

  it('callOptions.timeoutMs never extends the caller deadline', async () => {
    const { router } = build();
    const deadline = Date.now() + 1_000;
    alphaBody = (ctx) => ctx.call(beta.inspect, {}, { timeoutMs: 60_000 });
    await router.dispatch(alpha.run, {}, rootContext({ deadline }));
    expect(seen[0]?.deadline).toBe(deadline);
  });

  it('passes user, caller (the calling module) and idempotencyKey to the callee', async () => {
    const { router } = build();
    alphaBody = (ctx) => ctx.call(beta.inspect, {}, { idempotencyKey: 'key-1' });
    await router.dispatch(alpha.run, {}, rootContext({ user: { id: 'user-42' }, idempotencyKey: 'outer' }));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.user).toEqual({ id: 'user-42' });
    expect(seen[0]?.caller).toBe('alpha');
    expect(seen[0]?.idempotencyKey).toBe('key-1');
    expect(seen[0]?.module).toBe('beta');
  });

  it('gives a handler called from the edge the request context as sent', async () => {
    const { router } = build();
    const ctx = rootContext({ user: undefined, idempotencyKey: 'idem' });
    await router.dispatch(beta.inspect, {}, ctx);
    expect(seen[0]).toMatchObject({ user: undefined, caller: 'gateway', idempotencyKey: 'idem', deadline: ctx.deadline, module: 'beta' });
    expect(seen[0]?.trace).toEqual(ctx.trace); // tracing off: the context is carried as is
  });

  it('delivers a typed module error thrown by the callee unchanged to the caller', async () => {
    const { router } = build();
    let caught: unknown;
    alphaBody = async (ctx) => {
      try {
        return await ctx.call(beta.fail, {});
      } catch (err) {
        caught = err;
        throw err;
      }
    };
    const err = await rejection(router.dispatch(alpha.run, {}, rootContext()));
    expect(caught).toBe(thrown);
    expect(err).toBe(thrown);
    expect(err).toMatchObject({ code: 'beta.NOPE', status: 409, detail: 'no way', details: { reason: 'test' } });
  });

  it('answers an unknown operation with cleave.UNKNOWN_OPERATION', async () => {
    const { runtimes } = build();
    const err = await rejection(runtimes.get('beta')!.handle('nope', {}, rootContext()));
    expect(err.code).toBe('cleave.UNKNOWN_OPERATION');
  });

  // A name from the URL must not reach Object.prototype members.
  it.each(['constructor', 'toString', '__proto__'])('answers cleave.UNKNOWN_OPERATION for the inherited name %s', async (name) => {
    const { runtimes } = build();
    const err = await rejection(runtimes.get('beta')!.handle(name, {}, rootContext()));
    expect(err.code).toBe('cleave.UNKNOWN_OPERATION');
  });

  it('the router refuses an operation of a module no transport reaches', async () => {
    const router = new CallRouter();
    const err = await rejection(router.dispatch(beta.echo, { name: 'Ada', age: 1 }, rootContext()));
    expect(err.code).toBe('cleave.UNKNOWN_OPERATION');
    expect(() => {
      router.register('beta', new InProcessTransport(build().runtimes.get('beta')!));
      router.register('beta', new InProcessTransport(build().runtimes.get('beta')!));
    }).toThrow('module "beta" is routed twice');
  });

  describe('with tracing on', () => {
    it('makes the callee span a child of the caller span, in the same trace', async () => {
      const tracer = createTracer({ service: 'test', store: new SpanStore('test'), storeDelayMs: 10 });
      try {
        const { router } = build(tracer);
        alphaBody = (ctx) => ctx.call(beta.inspect, {});
        const root = newTraceContext();
        await router.dispatch(alpha.run, {}, rootContext({ trace: root }));
        await waitUntil(() => tracer.store!.trace(root.traceId).length === 2);
        const spans = tracer.store!.trace(root.traceId);
        const callerSpan = spans.find((s) => s.name === 'alpha.run');
        const calleeSpan = spans.find((s) => s.name === 'beta.inspect');
        expect(callerSpan?.traceId).toBe(root.traceId);
        expect(callerSpan?.parentSpanId).toBe(root.spanId);
        expect(calleeSpan?.traceId).toBe(root.traceId);
        expect(calleeSpan?.parentSpanId).toBe(callerSpan?.spanId);
        expect(calleeSpan?.attributes).toMatchObject({ 'cleave.module': 'beta', 'cleave.caller': 'alpha' });
        // The handler's ctx.trace is its own server span, so its calls are that span's children.
        expect(seen[0]?.trace.traceId).toBe(root.traceId);
        expect(seen[0]?.trace.spanId).toBe(calleeSpan?.spanId);
      } finally {
        await tracer.shutdown();
      }
    });

    it('marks the span of a failed operation as an error', async () => {
      const tracer = createTracer({ service: 'test', store: new SpanStore('test'), storeDelayMs: 10 });
      try {
        const { router } = build(tracer);
        const root = newTraceContext();
        await rejection(router.dispatch(beta.fail, {}, rootContext({ trace: root })));
        await waitUntil(() => tracer.store!.trace(root.traceId).length === 1);
        expect(tracer.store!.trace(root.traceId)[0]).toMatchObject({ name: 'beta.fail', status: 'error' });
      } finally {
        await tracer.shutdown();
      }
    });
  });
});

// Spans reach the store through a BatchSpanProcessor (every 10 ms here): wait on the condition.
function waitUntil(condition: () => boolean): Promise<void> {
  return vi.waitFor(() => {
    if (!condition()) throw new Error('condition not met yet');
  });
}
