import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { DEFAULT_JOBS_LISTED, jobCursor, listJobs, MAX_JOBS_LISTED, newestJobs, retryJob, showJob } from '../../jobs/job-queries.ts';
import type { JobCursor } from '../../jobs/job-queries.ts';
import { JOB_STATUSES, parseJobListOptions } from '../../jobs/job-list-filter.ts';
import type { RawJobListOptions } from '../../jobs/job-list-filter.ts';
import type { JobTables } from '../../jobs/job-tables.ts';
import { enqueueRunNow } from '../../jobs/schedule-ticks.ts';
import { IDLE_POLL_MAX_MS } from '../../util/wakeable-loop.ts';
import type { AppDefinition } from '../../runtime/define-app.ts';
import { loadConfig } from '../load-config.ts';
import { withModuleDatabases } from '../open-app-databases.ts';

/** Runs `fn` on the database of each module that declares jobs or schedules (or of `only`), in turn. */
async function eachJobModule<T>(app: AppDefinition, only: string | undefined, fn: (module: string, db: Kysely<JobTables>) => Promise<T>): Promise<T[]> {
  const modules = app.modules.filter((m) => (only === undefined ? m.jobs.length > 0 || m.schedules.length > 0 : m.name === only));
  const results: T[] = [];
  for (const m of modules) {
    results.push(await withModuleDatabases(app, m.name, ([opened]) => fn(m.name, opened?.db as unknown as Kysely<JobTables>)));
  }
  return results;
}

/** Where the page after job `id` starts: that job's place in the order, read from the module that has it. */
async function cursorOf(app: AppDefinition, only: string | undefined, id: string): Promise<JobCursor> {
  const cursor = (await eachJobModule(app, only, (_module, db) => jobCursor(db, id))).find((c) => c !== undefined);
  if (cursor === undefined) throw new Error(`--before: no job ${id} (pruned? pass the instant it was created instead)`);
  return cursor;
}

/** The same listing, one page further back. */
function nextPageCommand(options: RawJobListOptions & { module?: string; json?: boolean }, lastId: string): string {
  const args = ['cleave jobs list'];
  for (const option of ['status', 'name', 'queue', 'module'] as const) if (options[option] !== undefined) args.push(`--${option} ${options[option]}`);
  if (options.limit !== undefined && options.limit !== String(DEFAULT_JOBS_LISTED)) args.push(`--limit ${options.limit}`);
  if (options.json) args.push('--json');
  return [...args, `--before ${lastId}`].join(' ');
}

/** `cleave jobs list [--status] [--name] [--queue] [--limit] [--before] [--module]`, `cleave jobs show <id>`, `cleave jobs retry <id>` and `cleave jobs run <schedule>`. */
export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('background jobs: state, history, dead jobs');

  jobs
    .command('list')
    .description('jobs newest first; page back with --before <the last id shown>')
    .option('--status <status>', `only jobs in this state, or these (comma-separated): ${JOB_STATUSES.join(', ')}`)
    .option('--name <job>', 'only jobs of this name')
    .option('--queue <queue>', 'only jobs of this queue')
    .option('--limit <n>', `how many (1 to ${MAX_JOBS_LISTED})`, String(DEFAULT_JOBS_LISTED))
    .option('--before <id|instant>', 'the page after this job (the id a page prints last), or jobs created before this ISO instant')
    .option('-m, --module <name>', 'only this module')
    .option('--json', 'print JSON (an array; the next-page hint goes to stderr)')
    .action(async (options: RawJobListOptions & { module?: string; json?: boolean }, command: Command) => {
      const { filter, start } = parseJobListOptions(options);
      const { app } = await loadConfig(command.optsWithGlobals().config);
      const before = start === undefined || 'time' in start ? start && { createdAt: start.time } : await cursorOf(app, options.module, start.id);
      const pages = await eachJobModule(app, options.module, (module, db) => listJobs(module, db, { ...filter, ...(before === undefined ? {} : { before }) }));
      const { jobs: list, more } = newestJobs(pages, filter.limit);
      const last = list.at(-1);
      const hint = more && last !== undefined ? `more: ${nextPageCommand(options, last.id)}` : undefined;
      if (options.json) {
        console.log(JSON.stringify(list, null, 2));
        if (hint !== undefined) console.error(hint);
        return;
      }
      if (list.length === 0) return console.log(before === undefined ? 'no jobs' : 'no more jobs');
      for (const j of list) {
        console.log(`${j.id}  ${j.module}.${j.name}  ${j.status.padEnd(8)} attempts ${j.attempts}/${j.maxAttempts}  run at ${j.runAt}${j.lastError ? `  ${j.lastError}` : ''}`);
      }
      if (hint !== undefined) console.log(hint);
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
