import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { listJobs, retryJob, showJob } from '../../jobs/job-queries.ts';
import type { JobStatus, JobTables } from '../../jobs/job-tables.ts';
import { enqueueRunNow } from '../../jobs/schedule-ticks.ts';
import { IDLE_POLL_MAX_MS } from '../../util/wakeable-loop.ts';
import type { AppDefinition } from '../../runtime/define-app.ts';
import { loadConfig } from '../load-config.ts';
import { withModuleDatabases } from '../open-app-databases.ts';

const STATUSES: readonly JobStatus[] = ['pending', 'running', 'done', 'dead'];

/** Runs `fn` on the database of each module that declares jobs or schedules (or of `only`), in turn. */
async function eachJobModule<T>(app: AppDefinition, only: string | undefined, fn: (module: string, db: Kysely<JobTables>) => Promise<T>): Promise<T[]> {
  const modules = app.modules.filter((m) => (only === undefined ? m.jobs.length > 0 || m.schedules.length > 0 : m.name === only));
  const results: T[] = [];
  for (const m of modules) {
    results.push(await withModuleDatabases(app, m.name, ([opened]) => fn(m.name, opened?.db as unknown as Kysely<JobTables>)));
  }
  return results;
}

/** `cleave jobs list [--status] [--module]`, `cleave jobs show <id>`, `cleave jobs retry <id>` and `cleave jobs run <schedule>`. */
export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('background jobs: state, history, dead jobs');

  jobs
    .command('list')
    .option('--status <status>', `only jobs in this state (${STATUSES.join(', ')})`)
    .option('-m, --module <name>', 'only this module')
    .option('--json', 'print JSON')
    .action(async (options: { status?: string; module?: string; json?: boolean }, command: Command) => {
      if (options.status !== undefined && !STATUSES.includes(options.status as JobStatus)) throw new Error(`--status must be one of ${STATUSES.join(', ')}`);
      const { app } = await loadConfig(command.optsWithGlobals().config);
      const list = (await eachJobModule(app, options.module, (module, db) => listJobs(module, db, options.status as JobStatus | undefined))).flat();
      if (options.json) return console.log(JSON.stringify(list, null, 2));
      if (list.length === 0) return console.log('no jobs');
      for (const j of list) {
        console.log(`${j.id}  ${j.module}.${j.name}  ${j.status.padEnd(8)} attempts ${j.attempts}/${j.maxAttempts}  run at ${j.runAt}${j.lastError ? `  ${j.lastError}` : ''}`);
      }
    });

  jobs
    .command('show')
    .argument('<id>', 'job id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const { app } = await loadConfig(command.optsWithGlobals().config);
      const detail = (await eachJobModule(app, undefined, (module, db) => showJob(module, db, id))).find((d) => d !== undefined);
      if (!detail) throw new Error(`no job ${id}`);
      if (options.json) return console.log(JSON.stringify(detail, null, 2));
      console.log(`${detail.module}.${detail.name} ${detail.id}: ${detail.status}, attempts ${detail.attempts}/${detail.maxAttempts}, run at ${detail.runAt}`);
      if (detail.key) console.log(`  key      ${detail.key}`);
      console.log(`  payload  ${JSON.stringify(detail.payload)}`);
      if (detail.lastError) console.log(`  error    ${detail.lastError}`);
    });

  jobs
    .command('retry')
    .argument('<id>', 'id of a dead job')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { app } = await loadConfig(command.optsWithGlobals().config);
      const revived = (await eachJobModule(app, undefined, (_module, db) => retryJob(db, id))).some(Boolean);
      if (!revived) throw new Error(`no dead job ${id}`);
      console.log(`job ${id} sent back to its worker`);
    });

  jobs
    .command('run')
    .argument('<schedule>', 'name of a schedule (defineSchedule)')
    .option('-m, --module <name>', 'the module declaring it (when two modules have a schedule of that name)')
    .description("enqueue the schedule's job for now, beside its cron ticks (the next tick still runs on time)")
    .action(async (name: string, options: { module?: string }, command: Command) => {
      const { app } = await loadConfig(command.optsWithGlobals().config);
      const owners = app.modules.filter((m) => (options.module === undefined || m.name === options.module) && m.schedules.some((s) => s.name === name));
      if (owners.length === 0) throw new Error(`no schedule "${name}"${options.module ? ` in module "${options.module}"` : ''}`);
      if (owners.length > 1) throw new Error(`modules ${owners.map((m) => m.name).join(' and ')} both declare schedule "${name}": pick one with --module`);
      const owner = owners[0] as (typeof owners)[number];
      const schedule = owner.schedules.find((s) => s.name === name) as (typeof owner.schedules)[number];
      const [run] = await eachJobModule(app, owner.name, (_module, db) => enqueueRunNow(db, schedule));
      // Written from outside the service: its idle job worker finds it at its next poll.
      console.log(`${owner.name}.${name} enqueued for ${run?.tick} as job ${run?.id} (a running worker picks it up within ${IDLE_POLL_MAX_MS / 1000} s)`);
    });
}
