import { Queue } from 'bullmq';
import { app } from '../../app.ts';

/** Where the BullMQ transport keeps a module's queue (as BullmqQueues names it): prefix `cleave`, queue `<namespace>.<module>`. */
const PREFIX = 'cleave';
const queueOf = (namespace: string, module: string) => `${namespace}.${module}`;

/** Removes the queues a test deployment made under `namespace`, jobs and all. */
export async function deleteBullmqNamespace(url: string, namespace: string): Promise<void> {
  for (const module of app.modules) {
    // No metadata write of its own: it could land after the obliterate and leave the key behind.
    const queue = new Queue(queueOf(namespace, module.name), { connection: { url }, prefix: PREFIX, skipMetasUpdate: true });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }
}

/** A subscriber's queue as Redis holds it: jobs not yet completed (waiting or being stored), and failed ones. */
export interface BullmqQueueState {
  readonly waiting: number;
  readonly active: number;
  readonly failed: number;
}

/** Reads the subscribers' queues of a deployment: drained when no job waits or is active in any. */
export class BullmqQueues {
  readonly #queues: ReadonlyMap<string, Queue>;

  private constructor(queues: ReadonlyMap<string, Queue>) {
    this.#queues = queues;
  }

  static open(url: string, namespace: string, modules: readonly string[]): BullmqQueues {
    return new BullmqQueues(new Map(modules.map((m) => [m, new Queue(queueOf(namespace, m), { connection: { url, maxRetriesPerRequest: 1 }, prefix: PREFIX, skipMetasUpdate: true })])));
  }

  async state(module: string): Promise<BullmqQueueState> {
    const queue = this.#queues.get(module);
    if (!queue) throw new Error(`no queue opened for ${module}`);
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed');
    return { waiting: (counts.wait ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, failed: counts.failed ?? 0 };
  }

  async idle(): Promise<boolean> {
    for (const module of this.#queues.keys()) {
      const s = await this.state(module);
      if (s.waiting > 0 || s.active > 0) return false;
    }
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
  }
}
