import type { Command } from 'commander';
import { checkArchitecture, databaseUrlsFromEnv } from '../../check/architecture.ts';
import type { ArchitectureReport } from '../../check/architecture.ts';
import { loadConfig } from '../load-config.ts';

/** `cleave check`: the module boundary rule and table ownership, for CI and for humans. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check module boundaries (imports, calls, schemas; the database catalog with DATABASE_URL)')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { app } = await loadConfig(command.optsWithGlobals().config);
      const report = await checkArchitecture(app.modules, { databaseUrls: databaseUrlsFromEnv() });
      if (options.json) console.log(JSON.stringify(report, null, 2));
      else printArchitecture(report);
      process.exitCode = report.ok ? 0 : 1;
    });
}

function printArchitecture(report: ArchitectureReport): void {
  const line = (ok: boolean, text: string) => console.log(`${ok ? '✓' : '✗'} ${text}`);
  for (const u of report.unchecked) line(false, `module "${u.module}" not checked: ${u.reason}`);
  for (const v of [...report.imports, ...report.calls, ...report.schemaReferences, ...report.catalog.crossings]) line(false, v.message);
  const n = report.modules.length;
  if (report.imports.length === 0) line(true, `imports: ${n} modules reach each other only through declared contracts`);
  if (report.calls.length === 0) line(true, 'calls: every ctx.call of another module is declared in dependsOn');
  if (report.schemaReferences.length === 0) line(true, 'schemas: no query or migration names another module\'s schema');
  if (report.catalog.skipped) console.log(`- catalog: ${report.catalog.skipped}`);
  else if (report.catalog.crossings.length === 0) line(true, `catalog: no foreign key, view or function crosses schemas (${report.catalog.checked.join(', ')})`);
  console.log(report.ok ? '✓ boundaries hold' : '✗ boundaries are broken');
}
