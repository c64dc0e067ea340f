import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { errors } from '../errors/framework-errors.ts';
import { validationFailed } from '../errors/validation.ts';
import type { EventDefinition } from '../module/contract.ts';
import { formatTraceparent } from '../telemetry/trace-context.ts';
import type { TraceContext } from '../telemetry/trace-context.ts';
import type { EventTables } from './event-tables.ts';
import type { PublishFn } from './subscription.ts';

/**
 * `publish` bound to one transaction of one module: validates the payload against the
 * contract and writes the event to the module's outbox in that transaction, so the
 * event exists if and only if the state change committed. `onPublished` lets the relay
 * know there is work (it also polls, so a missed nudge only delays).
 */
export function publisherFor(module: string, trx: Kysely<unknown>, trace: TraceContext, published: string[]): PublishFn {
  const outbox = trx as unknown as Kysely<EventTables>;
  return async (event: EventDefinition, payload: unknown) => {
    if (event.module !== module) {
      throw errors.FORBIDDEN(`module "${module}" cannot publish "${event.name}": it belongs to "${event.module}"`);
    }
    const parsed = event.payload.safeParse(payload);
    if (!parsed.success) throw validationFailed(parsed.error, `invalid payload for ${event.name}`);
    const id = randomUUID();
    await outbox
      .insertInto('outbox')
      .values({
        id,
        name: event.name,
        aggregate_key: event.aggregateKey ? event.aggregateKey(parsed.data) : id,
        payload: JSON.stringify(parsed.data),
        traceparent: formatTraceparent(trace),
        created_at: new Date(),
      })
      .execute();
    published.push(id);
  };
}
