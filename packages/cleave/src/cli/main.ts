import { Command } from 'commander';
import { registerCheck } from './commands/check.ts';
import { registerEvents } from './commands/events.ts';
import { registerSaga } from './commands/saga.ts';
import { registerStart } from './commands/start.ts';
import { registerTrace } from './commands/trace.ts';

const program = new Command('cleave')
  .description('Cleave: a modular monolith that splits into services by configuration')
  .option('-c, --config <file>', 'project config', 'cleave.config.ts')
  .showHelpAfterError();

registerStart(program);
registerCheck(program);
registerEvents(program);
registerSaga(program);
registerTrace(program);

try {
  await program.parseAsync();
} catch (err) {
  console.error(`cleave: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
