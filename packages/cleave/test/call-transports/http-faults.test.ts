import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SigningKey } from '../../src/auth/signing-key.ts';
import { CleaveError } from '../../src/errors/cleave-error.ts';
import { errors } from '../../src/errors/framework-errors.ts';
import type { ResilienceOptions } from '../../src/transport/resilience.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import type { Fault, FaultProxy } from '../support/fault-proxy.ts';
import { CALLER_SERVICE, callerKey, httpCaller, startEchoService } from './http-wiring.ts';
import type { EchoService, HttpCaller } from './http-wiring.ts';
import { Probe } from './test-app.ts';

/**
 * Faults of the network between two services, through a TCP proxy (issue 12): added
 * latency, resets, a black hole, a slow drip. No call may outlive its deadline by more
 * than 1 s; the circuit opens under the fault and closes within 10 s of its end; a write
 * (a non-idempotent call) is never doubled, and never lost without the caller being told.
 */

const DEADLINE_MS = 800;
const resilience: ResilienceOptions = { breakerThreshold: 3, halfOpenAfterMs: 500, retries: 2 };

let key: SigningKey;
let probe: Probe;
let service: EchoService;
let proxy: FaultProxy;
let side: HttpCaller;

beforeAll(async () => {
  key = await callerKey();
});
afterEach(async () => {
  await side?.close();
  await proxy?.close();
  await service?.close();
});

async function setup(): Promise<void> {
  probe = new Probe();
  service = await startEchoService({ probe, knownKeys: new Map([[CALLER_SERVICE, key.publicJwk]]) });
  proxy = await startFaultProxy(service.server.port);
  side = httpCaller({ baseUrl: proxy.url, key, probe, resilience });
}

interface Outcome {
  readonly ok: boolean;
  readonly code: string | undefined;
  readonly ms: number;
}

async function call(operation: 'echo' | 'record', text: string): Promise<Outcome> {
  const started = Date.now();
  try {
    await side.caller(operation, { text }, { deadline: Date.now() + DEADLINE_MS });
    return { ok: true, code: undefined, ms: Date.now() - started };
  } catch (err) {
    expect(err).toBeInstanceOf(CleaveError);
    return { ok: false, code: (err as CleaveError).code, ms: Date.now() - started };
  }
}

async function underFault(fault: Fault, calls: number): Promise<Outcome[]> {
  proxy.set(fault);
  const outcomes: Outcome[] = [];
  for (let i = 0; i < calls; i++) outcomes.push(await call(i % 2 ? 'record' : 'echo', `${fault.kind}-${i}`));
  return outcomes;
}

/** Time from the fault's end until a call succeeds again. */
async function recovery(): Promise<number> {
  proxy.set({ kind: 'none' });
  const ended = Date.now();
  while (Date.now() - ended < 10_000) {
    if ((await call('echo', 'after')).ok) return Date.now() - ended;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Number.POSITIVE_INFINITY;
}

describe('HTTP calls through a faulty network', () => {
  it.each<[string, Fault]>([
    ['added latency beyond the deadline', { kind: 'latency', ms: 1_500 }],
    ['connection resets', { kind: 'reset' }],
    ['a black hole', { kind: 'blackhole' }],
    ['a slow drip of the answer', { kind: 'drip', bytes: 1, everyMs: 100 }],
  ])('%s: bounded failures, an open circuit, recovery within 10 s, no doubled write', async (_name, fault) => {
    await setup();
    expect((await call('echo', 'before')).ok).toBe(true);
    const outcomes = await underFault(fault, 8);

    // (i) No call outlives its deadline by more than 1 s, and each failure is typed.
    for (const o of outcomes) expect(o.ms).toBeLessThan(DEADLINE_MS + 1_000);
    expect(outcomes.filter((o) => !o.ok).every((o) => o.code === errors.DEADLINE_EXCEEDED.code || o.code === errors.DEPENDENCY_UNAVAILABLE.code)).toBe(true);
    expect(outcomes.some((o) => !o.ok)).toBe(true);
    // (ii) The circuit opened under the fault: later calls failed fast without waiting.
    expect(side.transport.circuitState).toBe('open');
    expect(outcomes.slice(-2).every((o) => !o.ok && o.code === errors.DEPENDENCY_UNAVAILABLE.code && o.ms < 100)).toBe(true);
    // (iii) Recovery within 10 s of the fault's end (the half-open probe succeeds).
    const recoveredMs = await recovery();
    expect(recoveredMs).toBeLessThan(10_000);
    expect(side.transport.circuitState).toBe('closed');
    // (iv) Writes: never run twice (not retried), and every one the caller was told succeeded ran.
    const records = outcomes.filter((_o, i) => i % 2 === 1);
    expect(probe.count('record')).toBeLessThanOrEqual(records.length);
    expect(probe.count('record')).toBeGreaterThanOrEqual(records.filter((o) => o.ok).length);
    console.info(`[faults] ${fault.kind}: ${outcomes.map((o) => `${o.ok ? 'ok' : o.code?.replace('cleave.', '')} ${o.ms}ms`).join(', ')}; recovered in ${recoveredMs} ms`);
  }, 30_000);
});
