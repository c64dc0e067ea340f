import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { listSagas, showSaga } from '../../saga/saga-queries.ts';
import type { SagaStatus, SagaTables } from '../../saga/saga-tables.ts';
import { loadConfig } from '../load-config.ts';
import { withModuleDatabases } from '../open-app-databases.ts';

const STATUSES: readonly SagaStatus[] = ['running', 'compensating', 'completed', 'failed', 'stuck'];

/** `cleave saga list [--status]` and `cleave saga show <id>`. */
export function registerSaga(program: Command): void {
  const saga = program.command('saga').description('sagas: state and history');

  saga
    .command('list')
    .option('--status <status>', `only sagas in this state (${STATUSES.join(', ')})`)
    .option('--json', 'print JSON')
    .action(async (options: { status?: string; json?: boolean }, command: Command) => {
      if (options.status !== undefined && !STATUSES.includes(options.status as SagaStatus)) throw new Error(`--status must be one of ${STATUSES.join(', ')}`);
      const { app } = await loadConfig(command.optsWithGlobals().config);
      const owners = app.modules.filter((m) => m.sagas.length > 0);
      const sagas = (
        await Promise.all(owners.map((m) => withModuleDatabases(app, m.name, ([db]) => listSagas(m.name, db?.db as unknown as Kysely<SagaTables>, options.status as SagaStatus | undefined))))
      ).flat();
      if (options.json) return console.log(JSON.stringify(sagas, null, 2));
      if (sagas.length === 0) return console.log('no sagas');
      for (const s of sagas) console.log(`${s.id}  ${s.module}.${s.name}  ${s.status.padEnd(12)} ${s.updatedAt}${s.error ? `  ${s.error}` : ''}`);
    });

  saga
    .command('show')
    .argument('<id>', 'saga id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const { app } = await loadConfig(command.optsWithGlobals().config);
      for (const m of app.modules.filter((mod) => mod.sagas.length > 0)) {
        const detail = await withModuleDatabases(app, m.name, ([db]) => showSaga(m.name, db?.db as unknown as Kysely<SagaTables>, id));
        if (!detail) continue;
        if (options.json) return console.log(JSON.stringify(detail, null, 2));
        console.log(`${detail.module}.${detail.name} ${detail.id}: ${detail.status}${detail.error ? ` (${detail.error})` : ''}`);
        for (const step of detail.steps) console.log(`  ${step.name.padEnd(20)} ${step.status.padEnd(20)} attempts ${step.attempts}${step.error ? `  ${step.error}` : ''}`);
        return;
      }
      throw new Error(`no saga ${id}`);
    });
}
