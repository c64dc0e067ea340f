import { createHash } from 'node:crypto';
import { bullmqNamePart } from '../../util/bullmq-name.ts';
import type { EventEnvelope } from '../event-envelope.ts';

/** What a job of a subscriber's queue carries: one relay batch's events for that subscriber. */
export interface EventsJob {
  readonly events: readonly EventEnvelope[];
}

/** BullMQ keys are `cleave:<queue>:…`; a queue is `<app>.<module>`. */
export const KEY_PREFIX = 'cleave';

/** The job name on every queue (BullMQ wants one; the payload says what is inside). */
export const JOB_NAME = 'events';

const token = bullmqNamePart;

/**
 * The queues of one app on Redis: one per subscribing module, `<app>.<module>`, and which
 * of them each event name goes to (from the app's subscriptions, so an event published
 * before its subscriber first starts waits in the subscriber's queue).
 */
export class BullmqQueues {
  readonly #app: string;
  readonly #subscribers: ReadonlyMap<string, readonly string[]>;

  constructor(app: string, subscribers: ReadonlyMap<string, readonly string[]>) {
    this.#app = token(app);
    this.#subscribers = subscribers;
  }

  queueOf(module: string): string {
    return `${this.#app}.${token(module)}`;
  }

  /** Every subscriber's queue. */
  all(): string[] {
    return [...new Set([...this.#subscribers.values()].flat())].map((m) => this.queueOf(m));
  }

  /** A batch's events grouped by the queue they go to, each group in the batch's (outbox) order. */
  route(events: readonly EventEnvelope[]): Map<string, EventEnvelope[]> {
    const byQueue = new Map<string, EventEnvelope[]>();
    for (const event of events) {
      for (const module of this.#subscribers.get(event.name) ?? []) {
        const queue = this.queueOf(module);
        let group = byQueue.get(queue);
        if (!group) byQueue.set(queue, (group = []));
        group.push(event);
      }
    }
    return byQueue;
  }
}

/**
 * The job id of a group: the same events give the same id, so a batch the relay sends again
 * (it did not hear the answer) is dropped by BullMQ while the first copy still waits. A hash
 * of the event ids, not just the seq range: rows of concurrent transactions can commit out
 * of seq order, and two different groups must never share an id (the second would be lost).
 */
export function jobIdOf(publisher: string, events: readonly EventEnvelope[]): string {
  const hash = createHash('sha256');
  for (const e of events) hash.update(e.id).update('\n');
  return `${token(publisher)}.${events.at(-1)?.seq ?? 0}.${hash.digest('hex').slice(0, 24)}`;
}
