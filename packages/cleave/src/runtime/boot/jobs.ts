import { JobWorker } from '../../jobs/job-worker.ts';
import type { WakeableLoop } from '../../util/wakeable-loop.ts';
import type { ModuleRuntime } from '../module-runtime.ts';
import type { ServiceBoot } from './service-boot.ts';

/** What the rest of the service may do to a module's jobs loop: wake it (after a commit, a retry, a "run now"). */
export type JobsLoop = Pick<WakeableLoop, 'wake'>;

/**
 * The jobs of this service, by module. `CLEAVE_JOBS=database` (the default): a job worker
 * per module whose jobs run here (its host, or a worker service the topology names), woken
 * after each commit that enqueued; a worker in another process than the enqueuer finds new
 * jobs by its idle poll. `CLEAVE_JOBS=bullmq`: see ./bullmq-jobs.ts.
 */
export async function wireJobs(boot: ServiceBoot, modules: ReadonlyMap<string, ModuleRuntime>, jobHosts: ReadonlyMap<string, ModuleRuntime>): Promise<ReadonlyMap<string, JobsLoop>> {
  if (boot.settings.jobsBackend === 'bullmq') return (await import('./bullmq-jobs.ts')).wireBullmqJobs(boot, modules, jobHosts);
  const workers = new Map<string, JobWorker>();
  for (const definition of boot.jobsHere.filter((d) => d.jobs.length > 0 || d.schedules.length > 0)) {
    const host = jobHosts.get(definition.name) as ModuleRuntime;
    const worker = new JobWorker(host, definition.jobs, definition.schedules, { retention: boot.settings.jobRetention });
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
