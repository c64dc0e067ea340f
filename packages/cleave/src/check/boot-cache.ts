import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Entry<T> {
  readonly files: Record<string, number>;
  readonly result: T;
}

/**
 * Remembers a boundary check's result with the modification time of every file it read,
 * so a service that restarts on unchanged code (a supervisor's restart, a replica) does
 * not load the TypeScript compiler again: ~1 s per boot on two loaded cores. Any file
 * changed, added to a module or gone makes the entry stale. Keyed by the modules' layout.
 */
export function cachedCheck<T>(key: string, moduleFiles: readonly string[], run: () => { result: T; files: readonly string[] }): T {
  const file = join(tmpdir(), 'cleave-boundaries', `${createHash('sha256').update(key).digest('hex').slice(0, 16)}.json`);
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Entry<T>;
    const fresh = moduleFiles.every((f) => f in entry.files) && Object.entries(entry.files).every(([f, mtime]) => statSync(f).mtimeMs === mtime);
    if (fresh) return entry.result;
  } catch {
    // No entry, a file gone, or an unreadable entry: check again.
  }
  const { result, files } = run();
  if (files.length === 0) return result;
  try {
    mkdirSync(join(tmpdir(), 'cleave-boundaries'), { recursive: true });
    writeFileSync(file, JSON.stringify({ files: Object.fromEntries([...new Set([...files, ...moduleFiles])].map((f) => [f, statSync(f).mtimeMs])), result }));
  } catch {
    // A read-only temp folder only costs the next boot another check.
  }
  return result;
}
