import pg from 'pg';

/** Direct SQL on the module databases of a split deployment (one small pool per database). */
export class ModuleDatabases {
  readonly #pools = new Map<string, pg.Pool>();
  constructor(private readonly urls: Readonly<Record<string, string>>) {}

  async rows<T>(database: string, text: string, params: unknown[] = []): Promise<T[]> {
    let pool = this.#pools.get(database);
    if (pool === undefined) {
      const url = this.urls[database];
      if (url === undefined) throw new Error(`no database URL for ${database}`);
      pool = new pg.Pool({ connectionString: url, max: 2 });
      pool.on('error', () => {}); // a dropped idle connection must not crash the test process
      this.#pools.set(database, pool);
    }
    return (await pool.query(text, params)).rows as T[];
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.end()));
    this.#pools.clear();
  }
}
