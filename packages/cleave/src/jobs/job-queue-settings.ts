import type { AnyJob, RateLimit } from './define-job.ts';

/** What every job of a queue shares, whichever backend runs it. */
export interface QueueSettings {
  readonly name: string;
  /** Runs of the queue one worker process holds at once: the smallest its jobs ask for. */
  readonly concurrency: number;
  /** How long a claim holds: the longest timeout of the queue's jobs plus a grace to record the outcome. */
  readonly leaseMs: number;
  /** Starts per window across every worker of the module (defineModule checks the queue's jobs agree). */
  readonly rateLimit: RateLimit | undefined;
}

/** The queues of a module's jobs (schedules' jobs included), by name. */
export function queueSettingsOf(jobs: readonly AnyJob[]): Map<string, QueueSettings> {
  const queues = new Map<string, QueueSettings>();
  for (const job of jobs) {
    const leaseMs = job.timeoutMs + Math.min(job.timeoutMs, 5_000);
    const queue = queues.get(job.queue);
    if (queue === undefined) queues.set(job.queue, { name: job.queue, concurrency: job.concurrency, leaseMs, rateLimit: job.rateLimit });
    else queues.set(job.queue, { ...queue, concurrency: Math.min(queue.concurrency, job.concurrency), leaseMs: Math.max(queue.leaseMs, leaseMs) });
  }
  return queues;
}
