import type { Command } from 'commander';
import { scaffoldApp } from '../init/scaffold.ts';

/** `cleave init <dir>`: a new app, runnable on its own, outside any monorepo. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a new app: one module with a contract, a migration, handlers and a test; monolith and split topologies')
    .argument('<dir>', 'folder to create (must be new or empty)')
    .option('--name <name>', 'app and package name (default: the folder name)')
    .option('--cleave <spec>', 'dependency spec for @cleavejs/core in package.json, e.g. a tarball path (default: this version)')
    .addHelpText('after', '\nExample:\n  npx @cleavejs/core init my-app && cd my-app && npm install && npm start')
    .action(async (dir: string, options: { name?: string; cleave?: string }) => {
      const created = await scaffoldApp({
        dir,
        ...(options.name ? { name: options.name } : {}),
        ...(options.cleave ? { cleaveDependency: options.cleave } : {}),
      });
      console.log(`Created ${created.name} in ${created.dir}:`);
      for (const file of created.files) console.log(`  ${file}`);
      console.log(`\nNext:\n  cd ${dir}\n  npm install\n  npm start   # then: curl localhost:3000/api/v1/notes\n  npm test`);
    });
}
