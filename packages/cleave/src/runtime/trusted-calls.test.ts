import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CleaveError } from '../errors/cleave-error.ts';
import { defineContract, operation } from '../module/contract.ts';
import { defineModule } from '../module/define-module.ts';
import type { ModuleContext } from '../module/module-context.ts';
import { createLogger } from '../telemetry/logger.ts';
import { newTraceContext } from '../telemetry/trace-context.ts';
import { createTracer, disabledTracer } from '../telemetry/tracer.ts';
import type { Tracer } from '../telemetry/tracer.ts';
import { InProcessTransport } from '../transport/in-process.ts';
import { CallRouter } from './call-router.ts';
import { ModuleRuntime } from './module-runtime.ts';

// What each handler received, so a test can tell a parsed input from one passed as is.
const received: unknown[] = [];
const callee = defineContract('callee', {
  operations: {
    plain: operation({ input: z.object({ id: z.string() }), output: z.object({ id: z.string() }) }),
    defaulted: operation({ input: z.object({ id: z.string(), limit: z.number().default(20) }), output: z.object({ limit: z.number() }) }),
    crash: operation({ input: z.object({}), output: z.object({}) }),
  },
});
const calleeModule = defineModule(callee, {
  handlers: {
    plain: async (input) => {
      received.push(input);
      return { ...input, secret: 'row field the output schema does not declare' };
    },
    defaulted: async (input) => {
      received.push(input);
      return { limit: input.limit };
    },
    crash: async () => {
      throw new TypeError('a bug');
    },
  },
});
let body: (ctx: ModuleContext<unknown>) => Promise<unknown> = async () => null;
const caller = defineContract('caller', { operations: { run: operation({ input: z.object({}), output: z.unknown() }) } });
const callerModule = defineModule(caller, { dependsOn: [callee], handlers: { run: async (_input, ctx) => body(ctx) } });

const logger = createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, done) => done() }) });

function app(trustInProcessCalls: boolean, tracer: Tracer = disabledTracer) {
  const router = new CallRouter({ trustInProcessCalls });
  for (const definition of [callerModule, calleeModule]) {
    router.register(definition.name, new InProcessTransport(new ModuleRuntime(definition, {} as Kysely<unknown>, logger, tracer, router)));
  }
  return router;
}

/** Runs `fn` as the body of caller.run, entered from the gateway (outside input). */
function fromHandler(router: CallRouter, fn: (ctx: ModuleContext<unknown>) => Promise<unknown>): Promise<unknown> {
  body = fn;
  received.length = 0;
  return router.dispatch(caller.run, {}, { trace: newTraceContext(), user: undefined, caller: 'gateway', deadline: Date.now() + 10_000, idempotencyKey: undefined });
}

describe('trusted in-process calls (defineApp trustInProcessCalls)', () => {
  for (const tracing of [false, true]) {
    const tracer = () => (tracing ? createTracer({ service: 'test' }) : disabledTracer);
    it(`skip parsing passthrough schemas on calls from module code (tracing ${tracing ? 'on' : 'off'})`, async () => {
      const answer = await fromHandler(app(true, tracer()), (ctx) => ctx.call(callee.plain, { id: 'a', extra: 1 } as { id: string }));
      expect(received[0]).toEqual({ id: 'a', extra: 1 }); // handed over as is
      expect(answer).toEqual({ id: 'a', extra: 1, secret: 'row field the output schema does not declare' });
    });
  }

  it('validate as always when the app does not trust them', async () => {
    const answer = await fromHandler(app(false), (ctx) => ctx.call(callee.plain, { id: 'a', extra: 1 } as { id: string }));
    expect(received[0]).toEqual({ id: 'a' });
    expect(answer).toEqual({ id: 'a' });
    const refused = await fromHandler(app(false), (ctx) => ctx.call(callee.plain, { id: 7 } as unknown as { id: string })).catch((e: unknown) => e);
    expect((refused as CleaveError).code).toBe('cleave.VALIDATION_FAILED');
  });

  it('still parse schemas that change a valid value (defaults), trusted or not', async () => {
    for (const trusted of [true, false]) {
      const answer = await fromHandler(app(trusted), (ctx) => ctx.call(callee.defaulted, { id: 'a' }));
      expect(received[0]).toEqual({ id: 'a', limit: 20 });
      expect(answer).toEqual({ limit: 20 });
    }
  });

  it('never trust outside input: a gateway dispatch is validated in a trusting app', async () => {
    const refused = await app(true)
      .dispatch(callee.plain, { id: 7 }, { trace: newTraceContext(), user: undefined, caller: 'gateway', deadline: Date.now() + 10_000, idempotencyKey: undefined })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CleaveError);
    expect((refused as CleaveError).code).toBe('cleave.VALIDATION_FAILED');
  });

  it('keep errors as over HTTP: a bug in the callee reaches a trusted caller as INTERNAL', async () => {
    const err = await fromHandler(app(true), (ctx) => ctx.call(callee.crash, {})).catch((e: unknown) => e);
    expect((err as CleaveError).code).toBe('cleave.INTERNAL');
  });
});
