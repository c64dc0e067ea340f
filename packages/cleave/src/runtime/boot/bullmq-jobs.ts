import { configErrors } from '../../errors/boot-errors.ts';
import { BullmqJobQueues } from '../../jobs/bullmq-job-queues.ts';
import { BullmqJobWorker } from '../../jobs/bullmq-job-worker.ts';
import { JobRelay } from '../../jobs/job-relay.ts';
import type { AnyModule } from '../../module/define-module.ts';
import type { ModuleRuntime } from '../module-runtime.ts';
import type { WakeableLoop } from '../../util/wakeable-loop.ts';
import type { ServiceBoot } from './service-boot.ts';

const hasJobs = (m: AnyModule) => m.jobs.length > 0 || m.schedules.length > 0;

/**
 * `CLEAVE_JOBS=bullmq` (ADR 0023). A job relay for every module with jobs that this service
 * opens — its host, where enqueuing commits wake the relay at once, and the service that
 * runs its jobs, where a retry or a "run now" from the dashboard wakes it — handing
 * committed rows to BullMQ; the relays share the rows, and the schedules' ticks. A BullMQ
 * job worker per module whose jobs run here. The map holds the relays: waking one hands
 * new rows over now.
 */
export async function wireBullmqJobs(boot: ServiceBoot, modules: ReadonlyMap<string, ModuleRuntime>, jobHosts: ReadonlyMap<string, ModuleRuntime>): Promise<ReadonlyMap<string, Pick<WakeableLoop, 'wake'>>> {
  const { app, settings, logger, closers } = boot;
  const opened = new Map<string, { definition: AnyModule; runtime: ModuleRuntime }>();
  for (const definition of [...boot.hosted, ...boot.jobsHere].filter(hasJobs)) {
    const runtime = modules.get(definition.name) ?? jobHosts.get(definition.name);
    if (runtime) opened.set(definition.name, { definition, runtime });
  }
  if (opened.size === 0) return new Map();
  if (!settings.redisUrl) throw configErrors.JOBS_BACKEND_UNSUITABLE('CLEAVE_JOBS=bullmq needs REDIS_URL');
  const queues = new BullmqJobQueues({ url: settings.redisUrl, namespace: settings.jobsNamespace ?? app.name, logger });
  closers.add('BullMQ job queues', () => queues.close());
  await queues.connect().catch((err: unknown) => {
    throw configErrors.JOBS_BACKEND_UNSUITABLE(`CLEAVE_JOBS=bullmq: Redis (REDIS_URL) is unreachable (${err instanceof Error ? err.message : String(err)})`);
  });

  for (const definition of boot.jobsHere.filter(hasJobs)) {
    const { runtime } = opened.get(definition.name) as { runtime: ModuleRuntime };
    const worker = new BullmqJobWorker(runtime, [...definition.jobs, ...definition.schedules.map((s) => s.job)], queues);
    worker.start();
    closers.add(`BullMQ job worker ${definition.name}`, () => worker.stop());
  }

  const relays = new Map<string, JobRelay>();
  for (const [name, { definition, runtime }] of opened) {
    const relay = new JobRelay(runtime, definition.schedules, (deliveries) => queues.deliver(name, deliveries), { overdueMs: settings.jobsRedeliverAfterMs, retention: settings.jobRetention });
    const unsubscribe = runtime.onCommitted((effects) => {
      if (effects.jobs > 0) relay.wake();
    });
    relay.start();
    relays.set(name, relay);
    closers.add(`job relay ${name}`, async () => {
      unsubscribe();
      await relay.stop();
    });
  }
  return relays;
}

