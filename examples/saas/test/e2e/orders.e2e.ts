import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import type { Session } from '../support/client.ts';
import type { Target } from '../support/target.ts';
import { waitFor } from '../support/wait-for.ts';
import { expectProblem } from './expect-problem.ts';

export function ordersSuite(target: () => Target): void {
  const client = () => new ApiClient(target().baseUrl);
  const stockOf = async (c: ApiClient, id: string) => ((await c.request(`/api/v1/products/${id}`)).body as { stock: number }).stock;
  const place = (c: ApiClient, s: Session, body: unknown, key: string = randomUUID()) =>
    c.request('/api/v1/orders', { token: s.accessToken, body, headers: { 'idempotency-key': key } });
  const settled = async (c: ApiClient, s: Session, orderId: string) => {
    let order: { status: string } | undefined;
    await waitFor(`order ${orderId} to settle`, async () => {
      order = (await c.request(`/api/v1/orders/${orderId}`, { token: s.accessToken })).body;
      return order?.status !== 'pending';
    }, 15_000, 50);
    return order as { status: string; totalCents: number; steps: { name: string; status: string }[]; failureReason: string | null };
  };

  describe('orders (saga: reserve inventory → charge payment → confirm)', () => {
    it('lists the seeded products publicly', async () => {
      const res = await client().request('/api/v1/products');
      expect(res.status).toBe(200);
      expect(res.body.items.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining(['prod_keyboard', 'prod_mouse']));
    });

    it('a paid order completes and takes the stock', async () => {
      const c = client();
      const s = await c.signup('Buyer');
      const before = await stockOf(c, 'prod_mouse');
      const res = await place(c, s, { items: [{ productId: 'prod_mouse', quantity: 2 }], paymentToken: 'tok_visa' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ orderId: expect.any(String), status: 'pending' });
      const order = await settled(c, s, res.body.orderId);
      expect(order.status).toBe('completed');
      expect(order.totalCents).toBe(2 * 2900);
      expect(order.steps.map((st) => [st.name, st.status])).toEqual([['reserveInventory', 'done'], ['chargePayment', 'done'], ['confirmOrder', 'done']]);
      expect(await stockOf(c, 'prod_mouse')).toBe(before - 2);
      const mine = await c.request('/api/v1/orders', { token: s.accessToken });
      expect(mine.body.items.map((o: { id: string }) => o.id)).toEqual([res.body.orderId]);
    });

    it('a declined card fails the order, releases the stock and charges nothing', async () => {
      const c = client();
      const s = await c.signup();
      const before = await stockOf(c, 'prod_keyboard');
      const res = await place(c, s, { items: [{ productId: 'prod_keyboard', quantity: 1 }], paymentToken: 'tok_chargeDeclined' });
      const order = await settled(c, s, res.body.orderId);
      expect(order.status).toBe('failed');
      expect(order.failureReason).toContain('payments.PAYMENT_DECLINED');
      expect(order.steps.map((st) => [st.name, st.status])).toEqual([['reserveInventory', 'compensated'], ['chargePayment', 'failed'], ['confirmOrder', 'pending']]);
      expect(await stockOf(c, 'prod_keyboard')).toBe(before);
    });

    it('out of stock fails before any charge, and takes nothing', async () => {
      const c = client();
      const s = await c.signup();
      const before = await stockOf(c, 'prod_monitor');
      // 20 lines of 100 monitors: more than the 500 ever stocked. Lines are taken one by
      // one; the one that does not fit rolls the earlier ones back.
      const items = Array.from({ length: 20 }, () => ({ productId: 'prod_monitor', quantity: 100 }));
      const res = await place(c, s, { items, paymentToken: 'tok_visa' });
      expect(res.status).toBe(202);
      const order = await settled(c, s, res.body.orderId);
      expect(order.status).toBe('failed');
      expect(order.failureReason).toContain('inventory.OUT_OF_STOCK');
      expect(order.steps.map((st) => [st.name, st.status])).toEqual([['reserveInventory', 'failed'], ['chargePayment', 'pending'], ['confirmOrder', 'pending']]);
      expect(await stockOf(c, 'prod_monitor')).toBe(before);
    });

    it('the same Idempotency-Key returns the same order, never a second one', async () => {
      const c = client();
      const s = await c.signup();
      const key = randomUUID();
      const body = { items: [{ productId: 'prod_stickers', quantity: 1 }], paymentToken: 'tok_visa' };
      const [first, second] = await Promise.all([place(c, s, body, key), place(c, s, body, key)]);
      const third = await place(c, s, body, key);
      const answered = [first, second].filter((r) => r.status === 202);
      expect(answered.length).toBeGreaterThanOrEqual(1);
      // A duplicate that arrives while the first is in flight is told so (409), never given a second order.
      for (const r of [first, second]) if (r.status !== 202) expectProblem(r, 409, 'cleave.IDEMPOTENCY_IN_FLIGHT');
      for (const r of answered) expect(r.body.orderId).toBe(answered[0]!.body.orderId);
      expect(third.body.orderId).toBe(answered[0]!.body.orderId);
      expect(third.headers.get('idempotent-replayed')).toBe('true');
      await settled(c, s, third.body.orderId);
      expect((await c.request('/api/v1/orders', { token: s.accessToken })).body.items).toHaveLength(1);
      // Another user with the same key gets their own order.
      const other = await c.signup();
      expect((await place(c, other, body, key)).body.orderId).not.toBe(third.body.orderId);
    });

    it('the same Idempotency-Key with another body is 422; an empty or over-long key is 400 (issue 12)', async () => {
      const c = client();
      const s = await c.signup();
      const key = randomUUID();
      const first = await place(c, s, { items: [{ productId: 'prod_stickers', quantity: 1 }], paymentToken: 'tok_visa' }, key);
      expect(first.status).toBe(202);
      expectProblem(await place(c, s, { items: [{ productId: 'prod_stickers', quantity: 7 }], paymentToken: 'tok_visa' }, key), 422, 'cleave.IDEMPOTENCY_KEY_REUSED');
      expectProblem(await place(c, s, { items: [{ productId: 'prod_stickers', quantity: 1 }], paymentToken: 'tok_visa' }, ''), 400, 'cleave.IDEMPOTENCY_KEY_INVALID');
      expectProblem(await place(c, s, { items: [{ productId: 'prod_stickers', quantity: 1 }], paymentToken: 'tok_visa' }, 'k'.repeat(256)), 400, 'cleave.IDEMPOTENCY_KEY_INVALID');
      await settled(c, s, first.body.orderId);
      expect((await c.request('/api/v1/orders', { token: s.accessToken })).body.items).toHaveLength(1);
    });

    it('POST /api/v1/posts takes an Idempotency-Key too: a retry gets the same post (issue 12)', async () => {
      const c = client();
      const s = await c.signup();
      const key = randomUUID();
      const write = () => c.request('/api/v1/posts', { token: s.accessToken, body: { title: 'once', body: 'only once' }, headers: { 'idempotency-key': key } });
      const first = await write();
      expect(first.status).toBe(201);
      const retry = await write();
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      const mine = await c.request(`/api/v1/posts?authorId=${s.userId}`, { token: s.accessToken });
      expect(mine.body.items).toHaveLength(1);
    });

    it('a payment provider that hangs on one card fails those orders within 20 s, stock released, and others still complete (issue 12)', async () => {
      const c = client();
      const stuck = await c.signup('Stuck');
      const good = await c.signup('Good');
      const before = await stockOf(c, 'prod_mouse');
      const started = Date.now();
      const hung = await Promise.all(Array.from({ length: 5 }, () => place(c, stuck, { items: [{ productId: 'prod_mouse', quantity: 1 }], paymentToken: 'tok_timeout' })));
      const ok = await place(c, good, { items: [{ productId: 'prod_mouse', quantity: 1 }], paymentToken: 'tok_visa' });
      // The noisy neighbour's timeouts are answers from payments, not a payments outage: no open circuit.
      expect((await settled(c, good, ok.body.orderId)).status).toBe('completed');
      for (const r of hung) {
        let order: { status: string; failureReason: string | null } | undefined;
        await waitFor('the stuck order to fail', async () => {
          order = (await c.request(`/api/v1/orders/${r.body.orderId}`, { token: stuck.accessToken })).body;
          return order?.status !== 'pending';
        }, 25_000, 200);
        expect(order?.status).toBe('failed');
        // In process the step's own timer may fire first; across HTTP, payments answers just before it.
        expect(order?.failureReason).toMatch(/payments\.PROVIDER_UNAVAILABLE|cleave\.DEADLINE_EXCEEDED/);
      }
      expect(Date.now() - started).toBeLessThan(25_000);
      expect(await stockOf(c, 'prod_mouse')).toBe(before - 1);
    }, 40_000);

    it('needs an Idempotency-Key, and shows an order only to its owner', async () => {
      const c = client();
      const s = await c.signup();
      expectProblem(await c.request('/api/v1/orders', { token: s.accessToken, body: { items: [{ productId: 'prod_mouse', quantity: 1 }], paymentToken: 'tok_visa' } }), 400, 'orders.IDEMPOTENCY_KEY_REQUIRED');
      const res = await place(c, s, { items: [{ productId: 'prod_stickers', quantity: 1 }], paymentToken: 'tok_visa' });
      const stranger = await c.signup();
      expectProblem(await c.request(`/api/v1/orders/${res.body.orderId}`, { token: stranger.accessToken }), 404, 'orders.NOT_FOUND');
      expectProblem(await c.request('/api/v1/orders', { token: s.accessToken, body: { items: [], paymentToken: 'tok_visa' }, headers: { 'idempotency-key': randomUUID() } }), 400, 'cleave.VALIDATION_FAILED');
    });
  });
}
