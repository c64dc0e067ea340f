import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { SplitTarget } from './split-target.ts';

const repoRoot = resolve(import.meta.dirname, '../../../..');
const run = promisify(execFile);

/** A job as `cleave jobs list --json` prints it. */
export interface ListedJob {
  readonly id: string;
  readonly module: string;
  readonly name: string;
  readonly status: 'pending' | 'running' | 'done' | 'dead';
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly runAt: string;
  readonly key: string | null;
  readonly lastError: string | null;
  readonly finishedAt: string | null;
}

/** A job as `cleave jobs show <id> --json` prints it. */
export interface ShownJob extends ListedJob {
  readonly payload: Record<string, unknown>;
}

/**
 * `cleave jobs <args> --json` as an operator runs it next to a deployment started by
 * `cleave start`: same config, same data directory, each module's own database URL.
 */
export async function cleaveJobs<T>(target: SplitTarget, ...args: string[]): Promise<T> {
  const env: NodeJS.ProcessEnv = { ...process.env, CLEAVE_DATA_DIR: target.dataDir, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  for (const [module, url] of Object.entries(target.databaseUrls)) env[`${module.toUpperCase()}_DATABASE_URL`] = url;
  const cli = [join(repoRoot, 'packages/cleave/bin/cleave.mjs'), '--config', join(repoRoot, 'cleave.config.ts'), 'jobs', ...args, '--json'];
  const { stdout } = await run(process.execPath, cli, { cwd: repoRoot, env });
  return JSON.parse(stdout) as T;
}

/** The newest 100 jobs of one name in a module (`cleave jobs list --module --name`): a seconds-cron's ticks cannot push them out. */
export async function listJobsNamed(target: SplitTarget, module: string, name: string): Promise<ListedJob[]> {
  return cleaveJobs<ListedJob[]>(target, 'list', '--module', module, '--name', name);
}
