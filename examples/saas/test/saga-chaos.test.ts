import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PRODUCTS } from '../modules/inventory/db/migrations.ts';
import { ApiClient } from './support/client.ts';
import type { Session } from './support/client.ts';
import { natsNamespace } from './support/nats.ts';
import { startSplit } from './support/split-target.ts';
import type { SplitTarget } from './support/split-target.ts';
import { isReady, waitFor } from './support/wait-for.ts';
import { ModuleDatabases } from './support/module-databases.ts';

/**
 * The crash test of the createOrder saga (reserve inventory → charge payment → confirm),
 * in the split topology with NATS JetStream and a PostgreSQL database per module, and a
 * payment provider that answers 503 on 10% of charges (PAYMENTS_FAILURE_RATE=0.1).
 * While client loops place 500 orders (each POST retried with the same Idempotency-Key
 * until it is accepted), the payments and commerce (orders + inventory) processes are
 * killed with SIGKILL at random moments and restarted by the supervisor. Afterwards, with
 * every saga settled, the databases must agree:
 *  - every saga (and order) is completed or failed: none running, compensating or stuck;
 *  - per product: seeded stock = current stock + units of completed orders;
 *  - captured charges ⇔ completed orders, amount = order total; a failed order's charge
 *    is fully refunded; no reservation is left `reserved`;
 *  - exactly one order per idempotency key.
 */

const natsUrl = process.env.NATS_URL;
const postgresUrl = process.env.DATABASE_URL;

const ORDERS = 500;
/** Concurrent client loops, one signed-up user each. */
const LOOPS = 10;
/** Pause between a loop's orders: stretches placement so the chaos lands in the middle of it. */
const PACE_MS: readonly [number, number] = [150, 450];
/** Share of orders paid with a card that is declined. */
const DECLINED_SHARE = 0.1;
/** Share of accepted orders POSTed once more with the same key (must answer the same order). */
const REPLAY_SHARE = 0.1;
const SERVICES = ['payments', 'commerce'] as const;
type Service = (typeof SERVICES)[number];
/** Gap between kills, and bounds on the chaos phase. */
const KILL_EVERY_MS: readonly [number, number] = [500, 1_500];
const MIN_KILLS_EACH = 3;
const MAX_KILLS = 16;
const CHAOS_CAP_MS = 90_000;
/**
 * Orders that must be accepted after a service is back before it may be killed again: a
 * service killed the moment it is ready would stall the load rather than crash mid-way
 * (and the supervisor doubles its restart delay per quick crash).
 */
const PROGRESS_BETWEEN_KILLS = 25;
/** An order that can't be accepted in this long fails the test. */
const ORDER_DEADLINE_MS = 60_000;
/** A saga whose runner was SIGKILLed is leased for 60 s (SagaRunner's default leaseMs). */
const QUIESCENCE_TIMEOUT_MS = 120_000;
const TEST_TIMEOUT_MS = 240_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([lo, hi]: readonly [number, number]) => lo + Math.random() * (hi - lo);
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

interface Line {
  readonly productId: string;
  readonly quantity: number;
}

interface Placed {
  readonly key: string;
  readonly userId: string;
  readonly orderId: string;
  readonly lines: readonly Line[];
  readonly token: string;
}

interface Attempts {
  /** Failed POST attempts by status ('network' when fetch threw). */
  readonly byStatus: Record<string, number>;
  total: number;
}

/** 1–2 distinct demo products, 1–3 units each. */
function randomLines(): Line[] {
  const products = [...DEMO_PRODUCTS].sort(() => Math.random() - 0.5).slice(0, Math.random() < 0.7 ? 1 : 2);
  return products.map((p) => ({ productId: p.id, quantity: 1 + Math.floor(Math.random() * 3) }));
}

/**
 * POSTs the order with its Idempotency-Key until it gets 202: a 503 while commerce is
 * down (or its circuit is open), a 504, a 429 or a dropped connection is retried with the
 * same key after a short growing delay. Anything else is a bug.
 */
async function placeUntilAccepted(client: ApiClient, session: Session, key: string, body: unknown, attempts: Attempts): Promise<string> {
  const deadline = Date.now() + ORDER_DEADLINE_MS;
  for (let n = 0; ; n++) {
    let status: string;
    try {
      const res = await client.request('/api/v1/orders', { token: session.accessToken, body, headers: { 'idempotency-key': key } });
      if (res.status === 202) return res.body.orderId as string;
      if (![429, 500, 502, 503, 504].includes(res.status)) throw new Error(`order ${key}: unexpected ${res.status} ${JSON.stringify(res.body)}`);
      status = `${res.status}${typeof res.body?.code === 'string' ? ` ${res.body.code}` : ''}`;
    } catch (err) {
      if ((err as Error).message.startsWith(`order ${key}`)) throw err;
      status = 'network';
    }
    attempts.byStatus[status] = (attempts.byStatus[status] ?? 0) + 1;
    attempts.total++;
    if (Date.now() > deadline) throw new Error(`order ${key}: not accepted within ${ORDER_DEADLINE_MS} ms (last: ${status})`);
    await sleep(Math.min(25 * 2 ** n, 1_000));
  }
}

describe.skipIf(!postgresUrl || !natsUrl)('createOrder saga under crashes: SIGKILL of payments and commerce, split topology on NATS and PostgreSQL (needs DATABASE_URL and NATS_URL)', () => {
  let target: SplitTarget;
  let dbs: ModuleDatabases;

  beforeAll(async () => {
    const startedAt = Date.now();
    target = await startSplit({
      postgresUrl,
      env: { NATS_URL: natsUrl as string, CLEAVE_EVENTS: 'nats', CLEAVE_EVENTS_NAMESPACE: natsNamespace('saga'), PAYMENTS_FAILURE_RATE: '0.1' },
    });
    console.info(`[saga-chaos] split topology ready in ${Date.now() - startedAt} ms`);
    dbs = new ModuleDatabases(target.databaseUrls);
  });

  afterAll(async () => {
    await dbs?.close();
    await target?.stop();
  });

  it('settles every saga: stock, charges and refunds agree with the orders, one order per key', async () => {
    const t0 = Date.now();
    const sessions: { client: ApiClient; session: Session }[] = [];
    for (let i = 0; i < LOOPS; i++) {
      const client = new ApiClient(target.baseUrl);
      sessions.push({ client, session: await client.signup(`Buyer ${i}`) });
    }

    // The load: LOOPS client loops, ORDERS / LOOPS orders each.
    const attempts: Attempts = { byStatus: {}, total: 0 };
    const placed: Placed[] = [];
    const replayMismatches: string[] = [];
    let replays = 0;
    const loop = async ({ client, session }: { client: ApiClient; session: Session }) => {
      for (let k = 0; k < ORDERS / LOOPS; k++) {
        const key = randomUUID();
        const lines = randomLines();
        const token = Math.random() < DECLINED_SHARE ? 'tok_chargeDeclined' : 'tok_visa';
        const body = { items: lines, paymentToken: token };
        const orderId = await placeUntilAccepted(client, session, key, body, attempts);
        placed.push({ key, userId: session.userId, orderId, lines, token });
        if (Math.random() < REPLAY_SHARE) {
          replays++;
          const again = await placeUntilAccepted(client, session, key, body, attempts);
          if (again !== orderId) replayMismatches.push(`${key}: ${orderId} then ${again}`);
        }
        await sleep(between(PACE_MS));
      }
    };
    const loadStartedAt = Date.now();
    let loadDoneAt = 0;
    let loadFailed: unknown;
    const load = Promise.all(sessions.map(loop)).finally(() => (loadDoneAt = Date.now()));
    load.catch((err: unknown) => (loadFailed = err));

    // The chaos: every 0.5-1.5 s, SIGKILL payments or commerce, unless it is still restarting.
    const kills: Record<Service, number> = { payments: 0, commerce: 0 };
    const restartMs: Record<Service, number[]> = { payments: [], commerce: [] };
    const killLog: string[] = [];
    const restarting = new Map<Service, Promise<void>>();
    const placedWhenUp: Record<Service, number> = { payments: 0, commerce: 0 };
    const totalKills = () => kills.payments + kills.commerce;
    const chaosDeadline = Date.now() + CHAOS_CAP_MS;
    let lastKillAt = 0;
    while (Date.now() < chaosDeadline && totalKills() < MAX_KILLS && loadFailed === undefined) {
      if (loadDoneAt !== 0 && SERVICES.every((s) => kills[s] >= MIN_KILLS_EACH)) break;
      await sleep(between(KILL_EVERY_MS));
      const candidates = SERVICES.filter((s) => !restarting.has(s) &&
        (loadDoneAt === 0 ? placed.length - placedWhenUp[s] >= PROGRESS_BETWEEN_KILLS : kills[s] < MIN_KILLS_EACH));
      if (candidates.length === 0) continue;
      const service = pick(candidates);
      const pid = await target.pidOf(service);
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();
      lastKillAt = killedAt;
      kills[service]++;
      killLog.push(`${service}@${killedAt - loadStartedAt}ms(placed ${placed.length})`);
      restarting.set(service, waitFor(`${service} to restart after SIGKILL of pid ${pid}`, async () =>
        (await target.pidOf(service)) !== pid && (await isReady(target.services[service]!)), 60_000, 50).then(() => {
        restartMs[service].push(Date.now() - killedAt);
        placedWhenUp[service] = placed.length;
        restarting.delete(service);
      }));
    }
    const chaosEndedAt = Date.now();
    await Promise.all(restarting.values());
    await load;
    const allUpAt = Date.now();
    console.info(`[saga-chaos] load: ${placed.length} orders accepted (+${replays} replayed keys) in ${loadDoneAt - loadStartedAt} ms, ` +
      `${attempts.total} failed POST attempts retried ${JSON.stringify(attempts.byStatus)}`);
    console.info(`[saga-chaos] chaos: ${totalKills()} kills ${JSON.stringify(kills)} over ${chaosEndedAt - loadStartedAt} ms; ` +
      `restart ms ${JSON.stringify(restartMs)}; ${killLog.join(' ')}`);
    expect(placed).toHaveLength(ORDERS);
    expect(replayMismatches, 'a replayed Idempotency-Key answered another order').toEqual([]);
    for (const s of SERVICES) expect(kills[s], `kills of ${s}`).toBeGreaterThanOrEqual(2);

    // Quiescence: no saga running or compensating (a saga leased by a killed runner waits for its lease).
    const sagaStatuses = async () => Object.fromEntries(
      (await dbs.rows<{ status: string; n: string }>('orders', 'select status, count(*) as n from orders.sagas group by 1')).map((r) => [r.status, Number(r.n)]),
    ) as Record<string, number>;
    let statuses: Record<string, number> = {};
    try {
      await waitFor('every saga to settle', async () => {
        statuses = await sagaStatuses();
        return (statuses.running ?? 0) + (statuses.compensating ?? 0) === 0;
      }, QUIESCENCE_TIMEOUT_MS, 250);
    } catch (err) {
      const active = await dbs.rows('orders', `select id, status, cursor, attempts, error, locked_until, next_attempt_at from orders.sagas where status in ('running', 'compensating') order by updated_at limit 5`);
      throw new Error(`${(err as Error).message}: ${JSON.stringify(statuses)}; e.g. ${JSON.stringify(active)}`, { cause: err });
    }
    const quietAt = Date.now();
    console.info(`[saga-chaos] quiesced ${quietAt - allUpAt} ms after all services were up, ${quietAt - lastKillAt} ms after the last kill, ` +
      `${quietAt - loadDoneAt} ms after the last order: sagas ${JSON.stringify(statuses)}`);

    // What the databases hold.
    const orders = await dbs.rows<{ id: string; user_id: string; status: string; lines: Line[]; total_cents: number | null; failure_reason: string | null }>(
      'orders', 'select id, user_id, status, lines, total_cents, failure_reason from orders.orders');
    const sagas = await dbs.rows<{ id: string; status: string; error: string | null }>('orders', 'select id, status, error from orders.sagas');
    const keys = await dbs.rows<{ key: string; outcome: string; result: { orderId?: string } }>(
      'orders', `select key, outcome, result from orders.idempotency_keys where operation = 'orders.createOrder'`);
    const charges = await dbs.rows<{ order_id: string; amount_cents: number; refunded_cents: number; status: string }>(
      'payments', 'select order_id, amount_cents, refunded_cents, status from payments.charges');
    const reservations = await dbs.rows<{ order_id: string; status: string; lines: (Line & { priceCents: number })[] }>(
      'inventory', 'select order_id, status, lines from inventory.reservations');
    const products = await dbs.rows<{ id: string; stock: number }>('inventory', 'select id, stock from inventory.products');

    const byId = new Map(orders.map((o) => [o.id, o]));
    const completed = orders.filter((o) => o.status === 'completed');
    const failed = orders.filter((o) => o.status === 'failed');
    const chargeOf = new Map(charges.map((c) => [c.order_id, c]));
    const reasons: Record<string, number> = {};
    for (const o of failed) {
      const reason = /([a-z]+\.[A-Z_]+)/.exec(o.failure_reason ?? '')?.[1] ?? (o.failure_reason ?? 'none').slice(0, 60);
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
    const declinedPlaced = placed.filter((p) => p.token === 'tok_chargeDeclined').length;
    console.info(`[saga-chaos] orders: ${placed.length} placed, ${completed.length} completed, ${failed.length} failed ` +
      `(${declinedPlaced} paid with tok_chargeDeclined; failure reasons ${JSON.stringify(reasons)}); ` +
      `charges ${charges.length} (${charges.filter((c) => c.status === 'captured').length} captured, ${charges.filter((c) => c.status === 'refunded').length} refunded); ` +
      `reservations ${JSON.stringify(count(reservations.map((r) => r.status)))}`);

    // (1) Every saga and every order settled: completed or failed, and they agree.
    expect(Object.keys(statuses).filter((s) => s !== 'completed' && s !== 'failed'), `sagas neither completed nor failed: ${JSON.stringify(statuses)}`).toEqual([]);
    expect(sagas).toHaveLength(orders.length);
    const disagree = sagas.filter((s) => byId.get(s.id)?.status !== s.status).map((s) => `${s.id}: saga ${s.status}, order ${byId.get(s.id)?.status}`);
    expect(disagree, 'saga status vs order status').toEqual([]);
    expect(orders.filter((o) => o.status === 'pending').map((o) => o.id), 'orders still pending').toEqual([]);

    // (2) Exactly one order per idempotency key, and it is the one the client was given.
    expect(orders, 'one order per placed key').toHaveLength(ORDERS);
    expect(keys, 'idempotency keys of createOrder').toHaveLength(ORDERS);
    expect(keys.filter((k) => k.outcome !== 'ok'), 'createOrder keys stored as refusals').toEqual([]);
    // Stored keys are scoped by user (`<user id>:<key>`, with a prefix in some versions): the client's key is the UUID at the end.
    const keyed = new Map(keys.map((k) => [k.key.slice(-36), k]));
    expect(keyed.size, 'distinct client keys among the stored keys').toBe(ORDERS);
    expect(placed.filter((p) => keyed.get(p.key)?.result.orderId !== p.orderId || !keyed.get(p.key)?.key.includes(p.userId)).map((p) => p.key),
      'keys whose stored order differs from the 202 (or is not scoped to the user)').toEqual([]);
    expect(new Set(placed.map((p) => p.orderId)).size).toBe(ORDERS);
    expect(placed.filter((p) => byId.get(p.orderId)?.user_id !== p.userId).map((p) => p.orderId), 'accepted orders missing or of another user').toEqual([]);

    // (3) Stock: seeded = current + units of completed orders (and of committed reservations).
    const sold = (lines: readonly Line[][]) => {
      const units: Record<string, number> = {};
      for (const ls of lines) for (const l of ls) units[l.productId] = (units[l.productId] ?? 0) + l.quantity;
      return units;
    };
    const soldByOrders = sold(completed.map((o) => o.lines));
    const soldByReservations = sold(reservations.filter((r) => r.status === 'committed').map((r) => r.lines));
    const stock = Object.fromEntries(products.map((p) => [p.id, p.stock]));
    const stockReport = DEMO_PRODUCTS.map((p) => ({ product: p.id, seeded: p.stock, current: stock[p.id], sold: soldByOrders[p.id] ?? 0, committed: soldByReservations[p.id] ?? 0 }));
    console.info(`[saga-chaos] stock: ${stockReport.map((r) => `${r.product} ${r.seeded} = ${r.current} + ${r.sold} (committed ${r.committed})`).join('; ')}`);
    for (const r of stockReport) {
      expect(r.current! + r.sold, `${r.product}: current + sold in completed orders`).toBe(r.seeded);
      expect(r.committed, `${r.product}: committed reservations vs completed orders`).toBe(r.sold);
    }

    // (4) Reservations: none left reserved; committed ⇔ completed.
    expect(reservations.filter((r) => r.status === 'reserved').map((r) => r.order_id), 'reservations left reserved').toEqual([]);
    const committed = new Set(reservations.filter((r) => r.status === 'committed').map((r) => r.order_id));
    expect([...committed].filter((id) => byId.get(id)?.status !== 'completed'), 'committed reservations of orders not completed').toEqual([]);
    expect(completed.filter((o) => !committed.has(o.id)).map((o) => o.id), 'completed orders without a committed reservation').toEqual([]);

    // (5) Charges: captured ⇔ completed, for the order's total; a failed order's charge refunded in full.
    const captured = charges.filter((c) => c.status === 'captured');
    expect(captured.filter((c) => byId.get(c.order_id)?.status !== 'completed').map((c) => `${c.order_id} (${byId.get(c.order_id)?.status})`), 'captured charges of orders not completed').toEqual([]);
    expect(completed.filter((o) => chargeOf.get(o.id)?.status !== 'captured').map((o) => `${o.id} (${chargeOf.get(o.id)?.status ?? 'no charge'})`), 'completed orders not captured').toEqual([]);
    expect(completed.filter((o) => chargeOf.get(o.id)?.amount_cents !== o.total_cents).map((o) => o.id), 'charge amount vs order total').toEqual([]);
    // A `voided` row is no charge: the marker a refund leaves when nothing was charged.
    const failedCharges = charges.filter((c) => c.status !== 'voided' && byId.get(c.order_id)?.status === 'failed');
    expect(charges.filter((c) => c.status === 'voided' && (c.amount_cents !== 0 || byId.get(c.order_id)?.status !== 'failed')), 'void markers').toEqual([]);
    expect(failedCharges.filter((c) => c.status !== 'refunded' || c.refunded_cents !== c.amount_cents).map((c) => `${c.order_id}: ${c.status} ${c.refunded_cents}/${c.amount_cents}`), 'charges of failed orders not refunded in full').toEqual([]);
    expect(charges.filter((c) => !byId.has(c.order_id)).map((c) => c.order_id), 'charges of unknown orders').toEqual([]);
    expect(placed.filter((p) => p.token === 'tok_chargeDeclined' && byId.get(p.orderId)?.status !== 'failed').map((p) => p.orderId), 'declined cards that completed').toEqual([]);

    console.info(`[saga-chaos] total ${Date.now() - t0} ms`);
  }, TEST_TIMEOUT_MS);
});

function count(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
