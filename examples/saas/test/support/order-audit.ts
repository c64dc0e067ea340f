import { DEMO_PRODUCTS } from '../../modules/inventory/db/migrations.ts';
import type { ModuleDatabases } from './module-databases.ts';

interface Line {
  readonly productId: string;
  readonly quantity: number;
}

/** An order the API accepted (202) for an Idempotency-Key. */
export interface AcceptedOrder {
  readonly key: string;
  readonly userId: string;
  readonly orderId: string;
  readonly token: string;
}

export interface OrderAudit {
  readonly figures: {
    readonly sagas: Record<string, number>;
    readonly completed: number;
    readonly failed: number;
    readonly charges: Record<string, number>;
    readonly reservations: Record<string, number>;
    /** Per product: seeded = current + sold. */
    readonly stock: string;
  };
  /** Named lists of what breaks an invariant; every list empty when the books balance. */
  readonly violations: Readonly<Record<string, readonly string[]>>;
}

/** Sagas still moving (the settle condition): none running or compensating. */
export async function activeSagas(dbs: ModuleDatabases): Promise<number> {
  const [row] = await dbs.rows<{ n: string }>('orders', `select count(*) as n from orders.sagas where status in ('running', 'compensating')`);
  return Number(row?.n ?? 0);
}

/**
 * The books of the createOrder saga (reserve inventory → charge payment → confirm), read
 * from the orders, inventory and payments databases once every saga has settled:
 * every saga terminal and agreeing with its order; one order per key; seeded stock =
 * current stock + units of completed orders; charges captured exactly for completed
 * orders at their total; a failed order's charge refunded in full (or never made).
 */
export async function auditOrders(dbs: ModuleDatabases, accepted: readonly AcceptedOrder[]): Promise<OrderAudit> {
  const orders = await dbs.rows<{ id: string; user_id: string; status: string; lines: Line[]; total_cents: number | null }>(
    'orders', 'select id, user_id, status, lines, total_cents from orders.orders');
  const sagas = await dbs.rows<{ id: string; status: string }>('orders', 'select id, status from orders.sagas');
  const keys = await dbs.rows<{ key: string; outcome: string; result: { orderId?: string } }>(
    'orders', `select key, outcome, result from orders.idempotency_keys where operation = 'orders.createOrder'`);
  const charges = await dbs.rows<{ order_id: string; amount_cents: number; refunded_cents: number; status: string }>(
    'payments', 'select order_id, amount_cents, refunded_cents, status from payments.charges');
  const reservations = await dbs.rows<{ order_id: string; status: string; lines: Line[] }>('inventory', 'select order_id, status, lines from inventory.reservations');
  const products = await dbs.rows<{ id: string; stock: number }>('inventory', 'select id, stock from inventory.products');

  const byId = new Map(orders.map((o) => [o.id, o]));
  const sagaIds = new Set(sagas.map((s) => s.id));
  const completed = orders.filter((o) => o.status === 'completed');
  const chargeOf = new Map(charges.map((c) => [c.order_id, c]));
  const units = (lines: readonly Line[][]) => {
    const out: Record<string, number> = {};
    for (const ls of lines) for (const l of ls) out[l.productId] = (out[l.productId] ?? 0) + l.quantity;
    return out;
  };
  const sold = units(completed.map((o) => o.lines));
  const committedUnits = units(reservations.filter((r) => r.status === 'committed').map((r) => r.lines));
  const stock = new Map(products.map((p) => [p.id, p.stock]));
  const committed = new Set(reservations.filter((r) => r.status === 'committed').map((r) => r.order_id));
  // Stored keys are scoped by user (`<user id>:<key>`): the client's key is the UUID at the end.
  const keyed = new Map(keys.map((k) => [k.key.slice(-36), k]));

  const violations: Record<string, string[]> = {
    'sagas neither completed nor failed': sagas.filter((s) => s.status !== 'completed' && s.status !== 'failed').map((s) => `${s.id}: ${s.status}`),
    'saga status differs from its order': sagas.filter((s) => byId.get(s.id)?.status !== s.status).map((s) => `${s.id}: saga ${s.status}, order ${byId.get(s.id)?.status}`),
    'orders without a saga': orders.filter((o) => !sagaIds.has(o.id)).map((o) => o.id),
    'orders charged twice': Object.entries(count(charges.map((c) => c.order_id))).filter(([, n]) => n > 1).map(([id, n]) => `${id}: ${n} charges`),
    'accepted orders missing or of another user': accepted.filter((a) => byId.get(a.orderId)?.user_id !== a.userId).map((a) => a.orderId),
    'orders per accepted key (one each)': orders.length === accepted.length ? [] : [`${orders.length} orders for ${accepted.length} accepted keys`],
    'keys whose stored order is not the one answered': accepted.filter((a) => keyed.get(a.key)?.result.orderId !== a.orderId).map((a) => a.key),
    'stock: seeded ≠ current + sold': DEMO_PRODUCTS.filter((p) => (stock.get(p.id) ?? NaN) + (sold[p.id] ?? 0) !== p.stock)
      .map((p) => `${p.id}: ${p.stock} ≠ ${stock.get(p.id)} + ${sold[p.id] ?? 0}`),
    'stock: committed reservations ≠ completed orders': DEMO_PRODUCTS.filter((p) => (committedUnits[p.id] ?? 0) !== (sold[p.id] ?? 0))
      .map((p) => `${p.id}: committed ${committedUnits[p.id] ?? 0}, sold ${sold[p.id] ?? 0}`),
    'reservations left reserved (never released)': reservations.filter((r) => r.status === 'reserved').map((r) => r.order_id),
    'committed reservations of orders not completed': [...committed].filter((id) => byId.get(id)?.status !== 'completed'),
    'completed orders without a committed reservation': completed.filter((o) => !committed.has(o.id)).map((o) => o.id),
    'captured charges of orders not completed': charges.filter((c) => c.status === 'captured' && byId.get(c.order_id)?.status !== 'completed').map((c) => c.order_id),
    'completed orders not captured at their total': completed.filter((o) => chargeOf.get(o.id)?.status !== 'captured' || chargeOf.get(o.id)?.amount_cents !== o.total_cents)
      .map((o) => `${o.id}: ${chargeOf.get(o.id)?.status ?? 'no charge'} ${chargeOf.get(o.id)?.amount_cents}/${o.total_cents}`),
    // A `voided` row is no charge: the marker a refund leaves when nothing was charged.
    'charges of failed orders not refunded in full': charges.filter((c) => c.status !== 'voided' && byId.get(c.order_id)?.status === 'failed' && (c.status !== 'refunded' || c.refunded_cents !== c.amount_cents))
      .map((c) => `${c.order_id}: ${c.status} ${c.refunded_cents}/${c.amount_cents}`),
    'void markers with an amount or on an order not failed': charges.filter((c) => c.status === 'voided' && (c.amount_cents !== 0 || byId.get(c.order_id)?.status !== 'failed')).map((c) => c.order_id),
    'charges of unknown orders': charges.filter((c) => !byId.has(c.order_id)).map((c) => c.order_id),
    'declined cards that completed': accepted.filter((a) => a.token === 'tok_chargeDeclined' && byId.get(a.orderId)?.status !== 'failed').map((a) => a.orderId),
  };
  return {
    figures: {
      sagas: count(sagas.map((s) => s.status)),
      completed: completed.length,
      failed: orders.filter((o) => o.status === 'failed').length,
      charges: count(charges.map((c) => c.status)),
      reservations: count(reservations.map((r) => r.status)),
      stock: DEMO_PRODUCTS.map((p) => `${p.id} ${p.stock} = ${stock.get(p.id)} + ${sold[p.id] ?? 0}`).join('; '),
    },
    violations: Object.fromEntries(Object.entries(violations).filter(([, list]) => list.length > 0)),
  };
}

function count(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
