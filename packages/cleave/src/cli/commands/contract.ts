import type { Command } from 'commander';
import { exportContract } from '../../runtime/contract-export.ts';
import { loadConfig, pickTopology } from '../load-config.ts';

/** `cleave contract export <module>`: a module's contract as JSON, for services in other languages. */
export function registerContract(program: Command): void {
  program
    .command('contract')
    .description("a module's contract in a language-neutral form")
    .command('export <module>')
    .description('print the contract (JSON Schemas, events, errors, callers, protocol) as JSON')
    .option('-t, --topology <name>', 'topology that places the module (default: monolith)')
    .action(async (module: string, options: { topology?: string }, command: Command) => {
      const config = await loadConfig(command.optsWithGlobals().config);
      console.log(JSON.stringify(exportContract(config.app, pickTopology(config, options.topology), module), null, 2));
    });
}
