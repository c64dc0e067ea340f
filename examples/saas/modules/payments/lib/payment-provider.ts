import { randomUUID } from 'node:crypto';
import { payments } from '../index.ts';

/** The payment provider behind the module (Stripe in production; simulated by default). */
export interface PaymentProvider {
  charge(request: { token: string; amountCents: number; currency: string; idempotencyKey: string }, signal: AbortSignal): Promise<{ providerRef: string }>;
}

/**
 * A provider that follows Stripe's test-token conventions: `tok_visa` succeeds,
 * `tok_chargeDeclined` is declined, `tok_timeout` hangs until the caller gives up.
 * `PAYMENTS_FAILURE_RATE` (0..1) makes that share of charges fail as unavailable
 * (before anything is charged), for chaos tests.
 */
export function simulatedProvider(failureRate = Number(process.env.PAYMENTS_FAILURE_RATE ?? 0)): PaymentProvider {
  // Like Stripe, a charge repeated with the same idempotency key answers the first charge.
  const charged = new Map<string, { providerRef: string }>();
  return {
    async charge({ token, idempotencyKey }, signal) {
      const earlier = charged.get(idempotencyKey);
      if (earlier) return earlier;
      if (failureRate > 0 && Math.random() < failureRate) throw payments.$errors.PROVIDER_UNAVAILABLE('simulated provider outage');
      if (token === 'tok_chargeDeclined') throw payments.$errors.PAYMENT_DECLINED('your card was declined (tok_chargeDeclined)');
      if (token === 'tok_timeout') {
        await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(payments.$errors.PROVIDER_UNAVAILABLE('the provider did not answer in time')), { once: true }));
      }
      if (!token.startsWith('tok_')) throw payments.$errors.PAYMENT_DECLINED(`unknown payment token`);
      const charge = { providerRef: `ch_sim_${randomUUID()}` };
      charged.set(idempotencyKey, charge);
      if (charged.size > 10_000) charged.delete(charged.keys().next().value as string); // keys are kept a while, not forever
      return charge;
    },
  };
}
