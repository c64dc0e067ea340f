import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkArchitecture, databaseUrlsFromEnv } from '../../check/architecture.ts';
import type { ArchitectureReport } from '../../check/architecture.ts';
import { checklist } from '../../check/checklist.ts';
import type { ChecklistReport } from '../../check/checklist.ts';
import { settingsFromEnv } from '../../runtime/settings.ts';
import { loadConfig } from '../load-config.ts';

/**
 * `cleave check`: the module boundaries (fail → exit 1, for CI), then the seed's
 * Microservices Checklist with evidence and its verdict (advice: it does not fail).
 */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check module boundaries (imports, calls, schemas; the database catalog with DATABASE_URL) and answer the microservices checklist')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const configFile = command.optsWithGlobals<{ config: string }>().config;
      const config = await loadConfig(configFile);
      const boundaries = await checkArchitecture(config.app.modules, { databaseUrls: databaseUrlsFromEnv() });
      const list = checklist(config, boundaries, settingsFromEnv(), dirname(resolve(configFile)));
      if (options.json) console.log(JSON.stringify({ ok: boundaries.ok, boundaries, checklist: list }, null, 2));
      else {
        printBoundaries(boundaries);
        printChecklist(list);
      }
      process.exitCode = boundaries.ok ? 0 : 1;
    });
}

const mark = { met: '✓', unmet: '✗', unknown: '?' } as const;

function printBoundaries(report: ArchitectureReport): void {
  console.log('Boundaries');
  const line = (ok: boolean, text: string) => console.log(`  ${ok ? '✓' : '✗'} ${text}`);
  for (const u of report.unchecked) line(false, `module "${u.module}" not checked: ${u.reason}`);
  for (const v of [...report.imports, ...report.calls, ...report.schemaReferences, ...report.catalog.crossings]) line(false, v.message);
  const n = report.modules.length;
  if (report.imports.length === 0) line(true, `imports: ${n} modules reach each other only through declared contracts`);
  if (report.calls.length === 0) line(true, 'calls: every ctx.call of another module is declared in dependsOn');
  if (report.schemaReferences.length === 0) line(true, 'schemas: no query or migration names another module\'s schema');
  if (report.catalog.skipped) console.log(`  - catalog: ${report.catalog.skipped}`);
  else if (report.catalog.crossings.length === 0) line(true, `catalog: no foreign key, view or function crosses schemas (${report.catalog.checked.join(', ')})`);
  console.log(report.ok ? '  ✓ boundaries hold' : '  ✗ boundaries are broken');
}

function printChecklist(report: ChecklistReport): void {
  console.log('\nMicroservices Checklist (the seed\'s, with evidence)');
  for (const group of report.groups) {
    console.log(`\n${group.name}`);
    for (const i of group.items) {
      console.log(`  ${mark[i.status]} ${i.item}`);
      for (const e of i.evidence) console.log(`      ${e}`);
    }
  }
  console.log(`\nVerdict: ${report.verdict.words}`);
}
