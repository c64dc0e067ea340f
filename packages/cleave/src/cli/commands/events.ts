import type { Command } from 'commander';
import { eventStats, listDeadLetters, replayDeadLetters } from '../../events/dead-letters.ts';
import { IDLE_POLL_MAX_MS } from '../../util/wakeable-loop.ts';
import { loadConfig } from '../load-config.ts';
import { withModuleDatabases } from '../open-app-databases.ts';

/** `cleave events dlq list|replay` and `cleave events stats`. */
export function registerEvents(program: Command): void {
  const events = program.command('events').description('inspect event delivery: dead letters, outbox lag, inbox counts');
  const dlq = events.command('dlq').description('dead-lettered events (handlers that failed every attempt)');

  dlq
    .command('list')
    .option('-m, --module <name>', 'only this module')
    .option('--json', 'print JSON')
    .action(async (options: { module?: string; json?: boolean }, command: Command) => {
      const { app } = await loadConfig(command.optsWithGlobals().config);
      const letters = await withModuleDatabases(app, options.module, async (dbs) => (await Promise.all(dbs.map(({ module, db }) => listDeadLetters(module, db)))).flat());
      if (options.json) return console.log(JSON.stringify(letters, null, 2));
      if (letters.length === 0) return console.log('no dead letters');
      for (const l of letters) {
        console.log(`${l.eventId}  ${l.module} ← ${l.publisher} ${l.name} (aggregate ${l.aggregateKey}), ${l.attempts} attempts, received ${l.receivedAt}\n    ${l.lastError ?? ''}`);
      }
    });

  dlq
    .command('replay')
    .argument('[ids...]', 'event ids to replay')
    .option('--all', 'replay every dead letter')
    .option('-m, --module <name>', 'only this module')
    .action(async (ids: string[], options: { all?: boolean; module?: string }, command: Command) => {
      if (!options.all && ids.length === 0) throw new Error('name event ids, or pass --all');
      const { app } = await loadConfig(command.optsWithGlobals().config);
      const replayed = await withModuleDatabases(app, options.module, async (dbs) => {
        const counts = await Promise.all(dbs.map(({ db }) => replayDeadLetters(db, options.all ? 'all' : ids)));
        return counts.reduce((a, b) => a + b, 0);
      });
      // Written from outside the service: its idle inbox worker finds them at its next poll.
      console.log(`${replayed} dead letter(s) sent back to their handlers (a running service picks them up within ${IDLE_POLL_MAX_MS / 1000} s)`);
      if (!options.all && replayed < ids.length) process.exitCode = 1;
    });

  events
    .command('stats')
    .option('-m, --module <name>', 'only this module')
    .option('--json', 'print JSON')
    .action(async (options: { module?: string; json?: boolean }, command: Command) => {
      const { app } = await loadConfig(command.optsWithGlobals().config);
      const stats = await withModuleDatabases(app, options.module, (dbs) => Promise.all(dbs.map(({ module, db }) => eventStats(module, db))));
      if (options.json) return console.log(JSON.stringify(stats, null, 2));
      for (const s of stats) {
        const age = s.oldestUnpublishedSeconds === null ? '' : `, oldest ${s.oldestUnpublishedSeconds}s`;
        console.log(`${s.module}: outbox lag ${s.outboxLag}${age}`);
        for (const [name, c] of Object.entries(s.subscriptions)) console.log(`  ${name}: ${c.done} done, ${c.pending} pending, ${c.dead} dead`);
      }
    });
}
