import pg from 'pg';

/**
 * Named (prepared) statements for the module pools (ADR 0022). A query with parameters
 * runs as a named statement, so each connection parses and plans its text once and
 * then only binds and executes it: on a primary-key lookup that halves the server's CPU
 * per query (measured ~200 → ~100 µs), and the server shares the machine with the app.
 *
 * Names are one per statement text, for the whole process: a connection never sees one
 * name for two texts. Each pool's connections have their own search_path (their module's
 * schema), and a name lives on one connection only, so the same text in two modules
 * names two statements, each planned against its own schema.
 *
 * - Texts without parameters (BEGIN, COMMIT, DDL) stay unnamed: nothing to reuse.
 * - At most MAX_NAMED_STATEMENTS texts get a name; later ones run unnamed, so SQL built
 *   with inlined values can't make every connection hold statements without end.
 * - A migration run elsewhere (another process of a split system) can change the columns
 *   a prepared `select *` returns; PostgreSQL then refuses it ("cached plan must not change
 *   result type"). The text gets a new name (parsed afresh on every connection) and the
 *   query is retried once; inside a transaction the retry cannot run (the transaction is
 *   aborted) and the first error stands.
 * - `CLEAVE_DB_PREPARED_STATEMENTS=off` turns this off, e.g. behind PgBouncer in
 *   transaction mode before 1.21, which can't carry named statements across connections.
 */
export const MAX_NAMED_STATEMENTS = 1_000;

const names = new Map<string, string>();
let nextName = 0;

/** The statement name of `text`, or undefined once the budget of names is spent. */
export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= MAX_NAMED_STATEMENTS) return undefined;
    name = `cleave_${(nextName++).toString(36)}`;
    names.set(text, name);
  }
  return name;
}

function renameStatement(text: string): string | undefined {
  names.delete(text);
  return statementName(text);
}

const FEATURE_NOT_SUPPORTED = '0A000';
const IN_FAILED_TRANSACTION = '25P02';

function isStalePlan(err: unknown): boolean {
  return (err as { code?: unknown }).code === FEATURE_NOT_SUPPORTED && /cached plan must not change result type/.test(String((err as Error).message));
}

type QueryResult = pg.QueryResult<pg.QueryResultRow>;

/** A `pg` client that runs queries with parameters as named statements (the pool's `Client`). */
export class PreparingClient extends pg.Client {
  // pg's overloads (callbacks, Submittables, configs) pass through untouched; only the
  // promise form Kysely uses, `query(text, values)`, is named.
  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
      const name = statementName(text);
      if (name !== undefined) return this.#named(text, values, name) as never;
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }

  async #named(text: string, values: unknown[], name: string): Promise<QueryResult> {
    const run = (statement: string) => (super.query as (config: pg.QueryConfig) => Promise<QueryResult>)({ name: statement, text, values });
    try {
      return await run(name);
    } catch (err) {
      const fresh = isStalePlan(err) ? renameStatement(text) : undefined;
      if (fresh === undefined) throw err;
      try {
        return await run(fresh);
      } catch (retryErr) {
        throw (retryErr as { code?: unknown }).code === IN_FAILED_TRANSACTION ? err : retryErr;
      }
    }
  }
}
