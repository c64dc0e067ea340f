import type { Kysely } from 'kysely';
import type { AnyJob } from '../jobs/define-job.ts';
import type { AnySchedule } from '../jobs/define-schedule.ts';
import { jobCounts, listFailingJobs, listJobs, listSchedules, retryJob } from '../jobs/job-queries.ts';
import type { JobSummary, ScheduleState } from '../jobs/job-queries.ts';
import type { JobStatus, JobTables } from '../jobs/job-tables.ts';
import { enqueueRunNow } from '../jobs/schedule-ticks.ts';

/** Jobs shown per module and list: the newest, as many as a page can usefully hold. */
const JOBS_SHOWN = 50;

export type QueueCounts = { readonly queue: string; readonly jobs: readonly string[] } & Readonly<Record<JobStatus, number>>;

/** One module's jobs as the dashboard shows them. */
export interface ModuleJobs {
  readonly module: string;
  /** The service whose worker runs them (the module's host, or a `worker` service). */
  readonly service: string;
  readonly queues: readonly QueueCounts[];
  /** Dead jobs and jobs retrying after a failed attempt. */
  readonly failures: readonly JobSummary[];
  readonly recent: readonly JobSummary[];
  readonly schedules: readonly ScheduleState[];
}

/**
 * The jobs part of the dashboard's admin. It is answered by the service that runs a
 * module's jobs, not by the module's host: only that service's worker can be woken
 * to run a revived job or a "run now" at once (another process would find it at its next
 * idle poll, up to 16 s later).
 */
export interface JobAdmin {
  /** The modules whose jobs run in this service. */
  readonly jobModules: readonly string[];
  jobs(): Promise<ModuleJobs[]>;
  /** A dead job back to its worker with fresh attempts, as `cleave jobs retry`; false when no dead job has that id. */
  retryJob(module: string, id: string): Promise<boolean>;
  /** Enqueues the schedule's job for now (`cleave jobs run`); undefined when the module has no such schedule. */
  runSchedule(module: string, schedule: string): Promise<{ id: string; tick: string } | undefined>;
}

/** A module whose jobs run here: its database and its declared jobs and schedules. */
export interface JobModule {
  readonly name: string;
  readonly db: Kysely<unknown>;
  readonly jobs: readonly AnyJob[];
  readonly schedules: readonly AnySchedule[];
}

export const NO_JOBS: JobAdmin = { jobModules: [], jobs: async () => [], retryJob: async () => false, runSchedule: async () => undefined };

/** The admin of the jobs this process runs. `wake` nudges a module's worker after a change from the page. */
export function localJobAdmin(service: string, modules: ReadonlyMap<string, JobModule>, wake: (module: string) => void): JobAdmin {
  const jobsDb = (m: JobModule) => m.db as unknown as Kysely<JobTables>;
  return {
    jobModules: [...modules.keys()],
    async jobs() {
      return Promise.all([...modules.values()].map(async (m): Promise<ModuleJobs> => {
        const now = new Date();
        const [counts, failures, recent, schedules] = await Promise.all([
          jobCounts(jobsDb(m), ['pending', 'running', 'done', 'dead']),
          listFailingJobs(m.name, jobsDb(m), JOBS_SHOWN),
          listJobs(m.name, jobsDb(m), { limit: JOBS_SHOWN }),
          listSchedules(m.name, jobsDb(m), m.schedules, now),
        ]);
        // Every declared queue, with the jobs sharing it, even before its first job.
        const queues = new Map<string, { queue: string; jobs: string[] } & Record<JobStatus, number>>();
        for (const job of [...m.jobs, ...m.schedules.map((s) => s.job)]) {
          const entry = queues.get(job.queue) ?? { queue: job.queue, jobs: [], pending: 0, running: 0, done: 0, dead: 0 };
          entry.jobs.push(job.name);
          queues.set(job.queue, entry);
        }
        for (const c of counts) {
          const entry = queues.get(c.queue) ?? { queue: c.queue, jobs: [], pending: 0, running: 0, done: 0, dead: 0 };
          entry[c.status] += c.count;
          queues.set(c.queue, entry);
        }
        return { module: m.name, service, queues: [...queues.values()], failures, recent, schedules };
      }));
    },
    async retryJob(module, id) {
      const m = modules.get(module);
      if (m === undefined || !(await retryJob(jobsDb(m), id))) return false;
      wake(module);
      return true;
    },
    async runSchedule(module, name) {
      const m = modules.get(module);
      const schedule = m?.schedules.find((s) => s.name === name);
      if (m === undefined || schedule === undefined) return undefined;
      const run = await enqueueRunNow(jobsDb(m), schedule);
      wake(module);
      return run;
    },
  };
}
