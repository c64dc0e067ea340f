import { existsSync, readFileSync } from 'node:fs';
import { resolve, sep } from 'node:path';

/** Line coverage of one module's files, from the test runner's summary. */
export interface ModuleCoverage {
  readonly module: string;
  readonly files: number;
  readonly linesCovered: number;
  readonly linesTotal: number;
  /** Percent; undefined when the summary has none of the module's files. */
  readonly pct: number | undefined;
}

interface SummaryEntry {
  readonly lines?: { readonly total: number; readonly covered: number };
}

/**
 * Reads an istanbul `json-summary` (what vitest, jest and c8 write with that reporter:
 * `{ total: {...}, "/abs/file.ts": { lines: { total, covered } } }`) and adds up the lines
 * of each module's folder. Undefined when there is no summary: coverage unknown.
 */
export function coverageByModule(file: string, modules: readonly { name: string; dir: string }[]): ModuleCoverage[] | undefined {
  const path = resolve(file);
  if (!existsSync(path)) return undefined;
  const summary = JSON.parse(readFileSync(path, 'utf8')) as Record<string, SummaryEntry>;
  return modules.map((m) => {
    const dir = resolve(m.dir) + sep;
    const entries = Object.entries(summary).filter(([f]) => f !== 'total' && resolve(f).startsWith(dir));
    const linesTotal = entries.reduce((sum, [, e]) => sum + (e.lines?.total ?? 0), 0);
    const linesCovered = entries.reduce((sum, [, e]) => sum + (e.lines?.covered ?? 0), 0);
    return { module: m.name, files: entries.length, linesCovered, linesTotal, pct: linesTotal === 0 ? undefined : Math.round((1000 * linesCovered) / linesTotal) / 10 };
  });
}
