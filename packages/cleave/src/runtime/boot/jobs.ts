import { JobWorker } from '../../jobs/job-worker.ts';
import type { ModuleRuntime } from '../module-runtime.ts';
import type { ServiceBoot } from './service-boot.ts';

/**
 * A job worker per module whose jobs run in this service (its host, or a worker service
 * the topology names), woken after each commit that enqueued. A worker in another process
 * than the enqueuer finds new jobs by its idle poll.
 */
export function wireJobs(boot: ServiceBoot, jobHosts: ReadonlyMap<string, ModuleRuntime>): ReadonlyMap<string, JobWorker> {
  const workers = new Map<string, JobWorker>();
  for (const definition of boot.jobsHere.filter((d) => d.jobs.length > 0 || d.schedules.length > 0)) {
    const host = jobHosts.get(definition.name) as ModuleRuntime;
    const worker = new JobWorker(host, definition.jobs, definition.schedules);
    const unsubscribe = host.onCommitted((effects) => {
      if (effects.jobs > 0) worker.wake();
    });
    worker.start();
    workers.set(definition.name, worker);
    boot.closers.add(`job worker ${definition.name}`, async () => {
      unsubscribe();
      await worker.stop();
    });
  }
  return workers;
}
