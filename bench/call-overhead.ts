/**
 * The cost of one cross-module call: a plain `await fn(input)`, a Cleave `ctx.call`
 * between two modules of one service (tracing off and on), and a Moleculer local
 * `broker.call` (without and with params validation), all measured in the same run.
 *
 * Cleave is assembled from its runtime pieces (router, in-process transport, module
 * runtimes) rather than through startService, so no database or HTTP server is
 * involved: only the call path is timed.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import moleculer from 'moleculer';
import { z } from 'zod';
import { defineContract, defineModule, operation } from '@cleavejs/core';
import type { RequestContext } from '@cleavejs/core';
// Internals on purpose: the bench builds a service by hand to time the call path alone.
import { CallRouter } from '../packages/cleave/src/runtime/call-router.ts';
import { ModuleRuntime } from '../packages/cleave/src/runtime/module-runtime.ts';
import { createLogger } from '../packages/cleave/src/telemetry/logger.ts';
import { newTraceContext } from '../packages/cleave/src/telemetry/trace-context.ts';
import { SpanStore } from '../packages/cleave/src/telemetry/span-store.ts';
import { createTracer, disabledTracer } from '../packages/cleave/src/telemetry/tracer.ts';
import type { Tracer } from '../packages/cleave/src/telemetry/tracer.ts';
import { InProcessTransport } from '../packages/cleave/src/transport/in-process.ts';
import { environment, formatTable, measure, ns, ratio } from './lib/measure.ts';
import type { MeasureOptions, Scenario, Stats } from './lib/measure.ts';
import { b, bModule, payload } from './lib/echo-module.ts';
import type { Item } from './lib/echo-module.ts';

// Module a: `loop` makes `count` calls to b.echo from inside a handler, so the timed
// batch is N cross-module calls; a's own entry is paid once per batch (< 0.1 ns/call).
const a = defineContract('a', {
  operations: {
    loop: operation({ input: z.object({ count: z.number().int() }), output: z.object({ count: z.number() }) }),
  },
});
const aModule = defineModule(a, {
  dependsOn: [b],
  handlers: {
    loop: async ({ count }, ctx) => {
      for (let i = 0; i < count; i++) await ctx.call(b.echo, payload);
      return { count };
    },
  },
});

const logger = createLogger({
  service: 'bench',
  level: 'silent',
  destination: new Writable({ write: (_chunk, _enc, done) => done() }),
});

export function cleaveService(tracer: Tracer, trustInProcessCalls = false) {
  const router = new CallRouter({ trustInProcessCalls });
  const db = {} as unknown as Kysely<unknown>; // the handlers never touch it
  const runtimeA = new ModuleRuntime(aModule, db, logger, tracer, router);
  const runtimeB = new ModuleRuntime(bModule, db, logger, tracer, router);
  router.register('a', new InProcessTransport(runtimeA));
  router.register('b', new InProcessTransport(runtimeB));
  return { runtimeA, runtimeB };
}

export function requestContext(): RequestContext {
  return { trace: newTraceContext(), user: undefined, caller: 'bench', deadline: Date.now() + 3_600_000, idempotencyKey: undefined };
}

async function plain(input: Item): Promise<Item> {
  return input;
}

// The floors of a trusted call: a callee that reads its own context, and the error mapping
// that keeps a bug in it an INTERNAL error for the caller, as over HTTP.
const floorCallee = async (input: Item, ctx: RequestContext) => (ctx.deadline > 0 ? input : payload);
const floorMapError = (err: unknown): never => {
  throw err instanceof Error && err.name === 'CleaveError' ? err : new Error('internal', { cause: err });
};

export const targets = {
  /** A trusted in-process call (no re-validation), tracing off: within 2x of a plain async call. */
  trustedRatio: 2,
  /** A validated in-process call (input and output parsed), tracing off: within 4x. */
  validatedRatio: 4,
} as const;

export interface Row {
  readonly id: string;
  readonly label: string;
  readonly diagnostic: boolean;
  readonly nsPerCall: { readonly median: number; readonly min: number; readonly max: number };
  readonly ratioToPlain: number;
}

export async function callOverhead(options: MeasureOptions) {
  const off = cleaveService(disabledTracer);
  const tracer = createTracer({ service: 'bench', store: new SpanStore('bench') }); // as a service keeps it (issue 10)
  const on = cleaveService(tracer);
  const trusted = cleaveService(disabledTracer, true);

  const broker = new moleculer.ServiceBroker({ logger: false, nodeID: 'bench' }); // no transporter: local only
  broker.createService({
    name: 'b',
    actions: {
      echo: async (ctx) => ctx.params,
      echoChecked: { params: { id: 'string', n: 'number' }, handler: async (ctx) => ctx.params },
    },
  });
  await broker.start();

  try {
    // Sanity: each path answers the payload, tracing records spans, both validators reject.
    assert.deepEqual(await off.runtimeB.handle('echo', payload, requestContext()), payload);
    assert.deepEqual(await broker.call('b.echo', payload), payload);
    assert.deepEqual(await broker.call('b.echoChecked', payload), payload);
    await assert.rejects(off.runtimeB.handle('echo', { id: 1 }, requestContext()), /VALIDATION|invalid/i);
    await assert.rejects(broker.call('b.echoChecked', { id: 1 }), { name: 'ValidationError' });
    assert.deepEqual(await on.runtimeA.handle('loop', { count: 1 }, requestContext()), { count: 1 });
    await tracer.flush();
    assert.deepEqual(await trusted.runtimeA.handle('loop', { count: 1 }, requestContext()), { count: 1 });
    // Trust covers calls from typed code only: outside input to the same runtime is still checked.
    await assert.rejects(trusted.runtimeB.handle('echo', { id: 1 }, requestContext()), /VALIDATION|invalid/i);
    assert.equal(tracer.store?.all().length, 2, 'tracing on: one span for a.loop, one for b.echo');
    assert.equal(broker.transit, undefined, 'moleculer: no transporter');

    const entry = requestContext();
    const inSchema = b.echo.input;
    const outSchema = b.echo.output;
    const scenarios: Scenario[] = [
      {
        id: 'plain',
        label: 'plain async fn: await plain(input)',
        batch: async (n) => {
          for (let i = 0; i < n; i++) await plain(payload);
        },
      },
      {
        id: 'cleave',
        label: 'Cleave ctx.call(b.echo), tracing off',
        batch: async (n) => {
          await off.runtimeA.handle('loop', { count: n }, entry);
        },
      },
      {
        id: 'cleave-trusted',
        label: 'Cleave ctx.call(b.echo), trusted (trustInProcessCalls), tracing off',
        batch: async (n) => {
          await trusted.runtimeA.handle('loop', { count: n }, entry);
        },
      },
      {
        id: 'cleave-traced',
        label: 'Cleave ctx.call(b.echo), tracing on',
        batch: async (n) => {
          await on.runtimeA.handle('loop', { count: n }, entry);
        },
      },
      {
        id: 'moleculer',
        label: "Moleculer broker.call('b.echo'), no validation (default)",
        batch: async (n) => {
          for (let i = 0; i < n; i++) await broker.call('b.echo', payload);
        },
      },
      {
        id: 'moleculer-validated',
        label: 'Moleculer broker.call, params validated',
        batch: async (n) => {
          for (let i = 0; i < n; i++) await broker.call('b.echoChecked', payload);
        },
      },
      // Diagnostics (shown indented): where a Cleave call's time goes.
      {
        id: 'zod-parse',
        label: 'one Zod safeParse of the input (sync)',
        batch: async (n) => {
          for (let i = 0; i < n; i++) if (!inSchema.safeParse(payload).success) throw new Error('invalid');
        },
      },
      {
        id: 'plain-zod',
        label: 'plain async fn + Zod in/out safeParse',
        batch: async (n) => {
          const validated = async (input: unknown) => {
            const parsed = inSchema.safeParse(input);
            if (!parsed.success) throw parsed.error;
            const out = outSchema.safeParse(await plain(parsed.data));
            if (!out.success) throw out.error;
            return out.data;
          };
          for (let i = 0; i < n; i++) await validated(payload);
        },
      },
      {
        // What any call that keeps the split's error semantics costs at least: the callee
        // gets a context of its own, and a bug in it (not a CleaveError) reaches the caller as
        // an INTERNAL error, as over HTTP — one more promise and microtask per call.
        id: 'floor-mapped',
        label: 'plain async fn + a context object + .then mapping errors (the floor of a trusted call)',
        batch: async (n) => {
          const call = (input: Item, ctx: RequestContext) => floorCallee(input, { ...ctx }).then(undefined, floorMapError);
          for (let i = 0; i < n; i++) await call(payload, entry);
        },
      },
      {
        // The same floor with the deadline check every callee makes (one clock read): what
        // a trusted call that enforces deadlines costs at least.
        id: 'floor-deadline',
        label: 'the floor of a trusted call + a deadline check (Date.now() per call)',
        batch: async (n) => {
          const call = (input: Item, ctx: RequestContext) =>
            Date.now() >= ctx.deadline ? Promise.reject(new Error('deadline')) : floorCallee(input, { ...ctx }).then(undefined, floorMapError);
          for (let i = 0; i < n; i++) await call(payload, entry);
        },
      },
      {
        id: 'runtime-handle',
        label: 'b runtime.handle directly (no ctx.call)',
        batch: async (n) => {
          for (let i = 0; i < n; i++) await off.runtimeB.handle('echo', payload, entry);
        },
      },
    ];
    const results = await measure(scenarios, options);
    return report(scenarios, results, options);
  } finally {
    await broker.stop();
    await tracer.shutdown();
  }
}

const diagnostics = new Set(['zod-parse', 'plain-zod', 'floor-mapped', 'floor-deadline', 'runtime-handle']);

function report(scenarios: readonly Scenario[], results: Map<string, Stats>, options: MeasureOptions) {
  const median = (id: string) => results.get(id)!.median;
  const rows: Row[] = scenarios.map((s) => {
    const r = results.get(s.id)!;
    return {
      id: s.id,
      label: s.label,
      diagnostic: diagnostics.has(s.id),
      nsPerCall: { median: r.median, min: r.min, max: r.max },
      ratioToPlain: r.median / median('plain'),
    };
  });
  const cleaveVsPlain = median('cleave') / median('plain');
  const trustedVsPlain = median('cleave-trusted') / median('plain');
  const cleaveVsMoleculer = median('cleave') / median('moleculer');
  const cleaveVsMoleculerValidated = median('cleave') / median('moleculer-validated');
  const table = formatTable(
    ['scenario', 'median ns/call', 'min ns/call', 'vs plain'],
    scenarios.map((s, i) => [(rows[i]!.diagnostic ? '  ' : '') + s.label, ns(rows[i]!.nsPerCall.median), ns(rows[i]!.nsPerCall.min), ratio(rows[i]!.ratioToPlain)]),
  );
  const verdicts = [
    {
      target: `Cleave trusted call (tracing off) within ${targets.trustedRatio}x of plain async`,
      value: trustedVsPlain,
      pass: trustedVsPlain <= targets.trustedRatio,
    },
    {
      target: `Cleave validated call (tracing off) within ${targets.validatedRatio}x of plain async`,
      value: cleaveVsPlain,
      pass: cleaveVsPlain <= targets.validatedRatio,
    },
    { target: 'Cleave (tracing off) faster than Moleculer local call', value: cleaveVsMoleculer, pass: cleaveVsMoleculer < 1 },
  ];
  const notes = [
    'Cleave validates input and output with Zod on every call; Moleculer validates nothing unless an action declares `params`',
    '(fastest-validator, input only, enabled in the "params validated" row); it never validates output.',
    `Cleave (tracing off) / Moleculer params validated: ${ratio(cleaveVsMoleculerValidated)} (information, not a target).`,
    'Indented rows are diagnostics of the Cleave call path, not targets.',
    `Floors in this run: a validated call cannot beat "plain async fn + Zod in/out" (${ratio(median('plain-zod') / median('plain'))} of plain), a trusted call that maps errors as over HTTP`,
    `cannot beat "the floor of a trusted call" (${ratio(median('floor-mapped') / median('plain'))}). Cleave validated / its floor: ${ratio(median('cleave') / median('plain-zod'))}; trusted / its floor: ${ratio(median('cleave-trusted') / median('floor-mapped'))}.`,
    `With the deadline check (a clock read per call) the trusted floor is ${ratio(median('floor-deadline') / median('plain'))} of plain; trusted / that floor: ${ratio(median('cleave-trusted') / median('floor-deadline'))}.`,
  ];
  const json = {
    benchmark: 'call-overhead',
    ...environment(),
    options,
    rows,
    ratios: { cleaveVsPlain, trustedVsPlain, cleaveTracedVsPlain: median('cleave-traced') / median('plain'), cleaveVsMoleculer, cleaveVsMoleculerValidated },
    targets: verdicts,
    notes,
  };
  const text = [
    table,
    '',
    ...verdicts.map((v) => `${v.pass ? 'PASS' : 'MISS'}  ${v.target}: ${ratio(v.value)}`),
    '',
    ...notes,
  ].join('\n');
  return { text, json };
}
