import { Command } from 'commander';
import { registerAdvise } from './commands/advise.ts';
import { registerCheck } from './commands/check.ts';
import { registerContract } from './commands/contract.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerDocs } from './commands/docs.ts';
import { registerEvents } from './commands/events.ts';
import { registerInit } from './commands/init.ts';
import { registerJobs } from './commands/jobs.ts';
import { registerSaga } from './commands/saga.ts';
import { registerStart } from './commands/start.ts';
import { frameworkPackage } from './framework-package.ts';
import { registerTrace } from './commands/trace.ts';

const program = new Command('cleave')
  .description('Cleave: a modular monolith that splits into services by configuration')
  .version(frameworkPackage().version, '-v, --version', 'print the version of @cleavejs/core')
  .option('-c, --config <file>', 'project config', 'cleave.config.ts')
  .showHelpAfterError();

registerStart(program);
registerCheck(program);
registerDocs(program);
registerDeploy(program);
registerAdvise(program);
registerEvents(program);
registerSaga(program);
registerJobs(program);
registerInit(program);
registerContract(program); // issue 14
registerTrace(program);

try {
  await program.parseAsync();
} catch (err) {
  console.error(`cleave: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
