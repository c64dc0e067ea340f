import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { listJobs, retryJob, showJob } from '../../jobs/job-queries.ts';
import type { JobStatus, JobTables } from '../../jobs/job-tables.ts';
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

/** `cleave jobs list [--status] [--module]`, `cleave jobs show <id>` and `cleave jobs retry <id>`. */
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
}
