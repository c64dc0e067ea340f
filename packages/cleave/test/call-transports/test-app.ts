import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { defineContract, operation } from '../../src/module/contract.ts';
import type { AnyOperation } from '../../src/module/contract.ts';
import { defineModule } from '../../src/module/define-module.ts';
import { bytes, rawOutput } from '../../src/module/raw-body.ts';
import type { ModuleContext } from '../../src/module/module-context.ts';
import { remainingMs } from '../../src/module/request-context.ts';
import type { CallOptions, RequestContext } from '../../src/module/request-context.ts';
import { CallRouter } from '../../src/runtime/call-router.ts';
import { ModuleRuntime } from '../../src/runtime/module-runtime.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import type { Logger } from '../../src/telemetry/logger.ts';
import { newTraceContext } from '../../src/telemetry/trace-context.ts';
import type { Tracer } from '../../src/telemetry/tracer.ts';
import type { CallTransport } from '../../src/transport/call-transport.ts';

/**
 * The app every call-transport test runs: `echo` (the callee) answers with what its
 * handler saw, and `client` (the caller, dependsOn [echo]) forwards each of its
 * operations to echo through `ctx.call`. The transport between them is the variable.
 */

/** What echo's handler saw of its call; `secret` is not in the contract and must not leak. */
const Seen = z.object({
  text: z.string(),
  user: z.string().nullable(),
  caller: z.string(),
  idempotencyKey: z.string().nullable(),
  remainingMs: z.number(),
  traceId: z.string(),
});

export const echoApi = defineContract('echo', {
  operations: {
    echo: operation({ input: z.object({ text: z.string().min(1), tags: z.array(z.string()).optional() }), output: Seen, idempotent: true }),
    fail: operation({ input: z.object({ code: z.enum(['CONFLICT', 'GONE']), details: z.record(z.string(), z.unknown()).optional() }), output: z.object({}) }),
    slow: operation({ input: z.object({ ms: z.number().int().nonnegative() }), output: z.object({ sleptMs: z.number() }), idempotent: true }),
    /** Not idempotent: never retried. */
    record: operation({ input: z.object({ text: z.string() }), output: z.object({ recorded: z.number() }) }),
    /** Returns a value that breaks its own output schema. */
    broken: operation({ input: z.object({}), output: z.object({ n: z.number() }) }),
    /** Throws a plain Error (a bug in the callee), not a CleaveError. */
    crash: operation({ input: z.object({}), output: z.object({}) }),
    /** Raw bytes in and out: answers them reversed, with the label as ETag. */
    reverse: operation({ input: z.object({ body: bytes({ maxBytes: 4 * 1024 * 1024 }), contentType: z.string(), label: z.string() }), output: rawOutput, idempotent: true }),
  },
  errors: {
    CONFLICT: { status: 409, title: 'Echo conflict' },
    GONE: { status: 410, title: 'Echo gone' },
  },
});

/** A module nobody declares: calling it must fail before any transport. */
export const ledgerApi = defineContract('ledger', {
  operations: { ping: operation({ input: z.object({}), output: z.object({}) }) },
});

const Via = { timeoutMs: z.number().int().optional(), idempotencyKey: z.string().optional() };

export const clientApi = defineContract('client', {
  operations: {
    // Outputs are z.unknown(): the caller returns exactly what the transport delivered.
    echo: operation({ input: z.object({ text: z.string(), tags: z.array(z.string()).optional(), ...Via }), output: z.unknown() }),
    /** Sends `payload` to echo.echo unchecked, to reach the callee's input validation. */
    echoRaw: operation({ input: z.object({ payload: z.unknown() }), output: z.unknown() }),
    fail: operation({ input: z.object({ code: z.enum(['CONFLICT', 'GONE']), details: z.record(z.string(), z.unknown()).optional() }), output: z.unknown() }),
    slow: operation({ input: z.object({ ms: z.number().int(), ...Via }), output: z.unknown() }),
    record: operation({ input: z.object({ text: z.string() }), output: z.unknown() }),
    broken: operation({ input: z.object({}), output: z.unknown() }),
    crash: operation({ input: z.object({}), output: z.unknown() }),
    undeclared: operation({ input: z.object({}), output: z.unknown() }),
    reverse: operation({ input: z.object({ body: z.unknown(), contentType: z.string(), label: z.string() }), output: z.unknown() }),
  },
});

export type ClientOperation = keyof typeof clientApi.$operations & string;

/** What reached the transport under test and echo's handlers. */
export class Probe {
  /** Operation ids handed to the transport under test, in order. */
  readonly transportCalls: string[] = [];
  /** Echo handler entries, in order. */
  readonly entries: { readonly operation: string; readonly remainingMs: number; readonly ctx: ModuleContext<unknown> }[] = [];

  enter(operation: string, ctx: ModuleContext<unknown>): void {
    this.entries.push({ operation, remainingMs: remainingMs(ctx), ctx });
  }

  count(operation: string): number {
    return this.entries.filter((e) => e.operation === operation).length;
  }
}

export function echoModule(probe: Probe) {
  return defineModule(echoApi, {
    handlers: {
      async echo({ text }, ctx) {
        probe.enter('echo', ctx);
        const seen = {
          text,
          user: ctx.user?.id ?? null,
          caller: ctx.caller,
          idempotencyKey: ctx.idempotencyKey ?? null,
          remainingMs: remainingMs(ctx),
          traceId: ctx.trace.traceId,
          secret: 'must not leave the callee',
        };
        return seen;
      },
      async fail({ code, details }, ctx) {
        probe.enter('fail', ctx);
        throw echoApi.$errors[code](`echo refuses (${code})`, details);
      },
      async slow({ ms }, ctx) {
        probe.enter('slow', ctx);
        await sleep(ms);
        return { sleptMs: ms };
      },
      async record(_input, ctx) {
        probe.enter('record', ctx);
        return { recorded: probe.count('record') };
      },
      async broken(_input, ctx) {
        probe.enter('broken', ctx);
        return { n: 'not a number' as unknown as number };
      },
      async crash(_input, ctx) {
        probe.enter('crash', ctx);
        throw new Error('connection string postgres://admin:hunter2@db');
      },
      async reverse({ body, contentType, label }, ctx) {
        probe.enter('reverse', ctx);
        return { body: Uint8Array.from(body).reverse(), contentType, etag: `"${label}"` };
      },
    },
  });
}

function via(input: { timeoutMs?: number | undefined; idempotencyKey?: string | undefined }): CallOptions {
  return {
    ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
  };
}

export const clientModule = defineModule(clientApi, {
  dependsOn: [echoApi],
  handlers: {
    echo: ({ text, tags, ...options }, ctx) => ctx.call(echoApi.echo, tags === undefined ? { text } : { text, tags }, via(options)),
    echoRaw: ({ payload }, ctx) => ctx.call(echoApi.echo, payload as never),
    fail: ({ code, details }, ctx) => ctx.call(echoApi.fail, details === undefined ? { code } : { code, details }),
    slow: ({ ms, ...options }, ctx) => ctx.call(echoApi.slow, { ms }, via(options)),
    record: ({ text }, ctx) => ctx.call(echoApi.record, { text }),
    broken: (_input, ctx) => ctx.call(echoApi.broken, {}),
    crash: (_input, ctx) => ctx.call(echoApi.crash, {}),
    // ledger is not in dependsOn: the runtime must refuse before routing.
    undeclared: (_input, ctx) => ctx.call(ledgerApi.ping, {}),
    reverse: (input, ctx) => ctx.call(echoApi.reverse, input as never),
  },
});

export const silentLogger: Logger = createLogger({ service: 'call-transports', level: 'silent' });

// The test modules use no database.
const noDatabase = {} as Kysely<unknown>;

/** Echo's runtime, in a router of its own (echo calls nobody). */
export function echoRuntime(probe: Probe, tracer: Tracer): ModuleRuntime {
  return new ModuleRuntime(echoModule(probe), noDatabase, silentLogger, tracer, new CallRouter());
}

/** Invokes one operation of the caller module, as the gateway would; `request` overrides the context. */
export type CallerEntry = (operation: ClientOperation, input: unknown, request?: Partial<RequestContext>) => Promise<unknown>;

export interface CallerSide {
  readonly caller: CallerEntry;
  readonly router: CallRouter;
  readonly runtime: ModuleRuntime;
}

/** Counts what reaches the transport under test; forwards everything else. */
class CountingTransport implements CallTransport {
  readonly kind: string;
  constructor(readonly inner: CallTransport, readonly probe: Probe) {
    this.kind = inner.kind;
  }
  invoke(op: AnyOperation, input: unknown, ctx: RequestContext): Promise<unknown> {
    this.probe.transportCalls.push(op.id);
    return this.inner.invoke(op, input, ctx);
  }
  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

/**
 * The caller service: client's runtime and a router that sends echo (and ledger, which
 * client does not declare) through `transport`, counted in `probe`.
 */
export function callerSide(transport: CallTransport, probe: Probe, tracer: Tracer): CallerSide {
  const router = new CallRouter();
  const runtime = new ModuleRuntime(clientModule, noDatabase, silentLogger, tracer, router);
  const counted = new CountingTransport(transport, probe);
  router.register('echo', counted);
  router.register('ledger', counted);
  const caller: CallerEntry = (operation, input, request = {}) =>
    runtime.handle(operation, input, {
      trace: newTraceContext(),
      user: undefined,
      caller: 'gateway',
      deadline: Date.now() + 10_000,
      idempotencyKey: undefined,
      ...request,
    });
  return { caller, router, runtime };
}
