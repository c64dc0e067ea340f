import type { Command } from 'commander';
import { checkBoundaries } from '../../check/boundaries.ts';
import { loadConfig } from '../load-config.ts';

/** `cleave check`: the module boundary rule, for CI and for humans. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check module boundaries: imports only of declared contracts')
    .action(async (_options, command: Command) => {
      const { app } = await loadConfig(command.optsWithGlobals().config);
      const located = app.modules.flatMap((m) => (m.dir ? [{ name: m.name, dir: m.dir, dependsOn: m.dependsOn }] : []));
      const unlocated = app.modules.filter((m) => !m.dir).map((m) => m.name);
      const violations = await checkBoundaries(located);
      for (const v of violations) console.log(`✗ ${v.message}`);
      if (unlocated.length) console.log(`! not checked (no dir in defineModule): ${unlocated.join(', ')}`);
      console.log(violations.length ? `${violations.length} boundary violation(s)` : `✓ ${located.length} modules keep to their contracts`);
      process.exitCode = violations.length ? 1 : 0;
    });
}
