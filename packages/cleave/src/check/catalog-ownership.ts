import pg from 'pg';

/** An object in a running database that ties one module's schema to another's. */
export interface CatalogCrossing {
  readonly kind: 'foreign key' | 'view' | 'function';
  readonly schema: string;
  readonly object: string;
  readonly references: string;
  readonly message: string;
}

/**
 * What the code scan cannot see: objects created by hand or by an old migration. Reads
 * the PostgreSQL catalog of a running database for foreign keys, views (through their
 * rewrite rules' dependencies) and functions (their body text) of one module's schema
 * that reach another module's schema.
 */
export async function catalogCrossings(url: string, schemas: readonly string[]): Promise<CatalogCrossing[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const fks = await client.query<{ schema: string; object: string; ref_schema: string; ref_table: string }>(
      `select ns.nspname as schema, c.relname || '.' || con.conname as object, rns.nspname as ref_schema, rc.relname as ref_table
         from pg_constraint con
         join pg_class c on c.oid = con.conrelid join pg_namespace ns on ns.oid = c.relnamespace
         join pg_class rc on rc.oid = con.confrelid join pg_namespace rns on rns.oid = rc.relnamespace
        where con.contype = 'f' and ns.nspname <> rns.nspname and ns.nspname = any($1) and rns.nspname = any($1)`,
      [schemas],
    );
    const views = await client.query<{ schema: string; object: string; ref_schema: string; ref_table: string }>(
      `select distinct vns.nspname as schema, v.relname as object, tns.nspname as ref_schema, t.relname as ref_table
         from pg_rewrite r
         join pg_class v on v.oid = r.ev_class join pg_namespace vns on vns.oid = v.relnamespace
         join pg_depend d on d.objid = r.oid and d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
         join pg_class t on t.oid = d.refobjid join pg_namespace tns on tns.oid = t.relnamespace
        where t.oid <> v.oid and vns.nspname <> tns.nspname and vns.nspname = any($1) and tns.nspname = any($1)`,
      [schemas],
    );
    const functions = await client.query<{ schema: string; object: string; body: string }>(
      `select n.nspname as schema, p.proname as object, p.prosrc as body
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = any($1)`,
      [schemas],
    );
    const crossings: CatalogCrossing[] = [];
    for (const row of fks.rows) crossings.push(crossing('foreign key', row.schema, row.object, `${row.ref_schema}.${row.ref_table}`));
    for (const row of views.rows) crossings.push(crossing('view', row.schema, row.object, `${row.ref_schema}.${row.ref_table}`));
    for (const row of functions.rows) {
      for (const other of schemas) {
        if (other !== row.schema && new RegExp(`(?<![\\w.$"])"?${other}"?\\s*\\.\\s*"?[A-Za-z_]`, 'i').test(row.body)) {
          crossings.push(crossing('function', row.schema, row.object, other));
        }
      }
    }
    return crossings;
  } finally {
    await client.end();
  }
}

function crossing(kind: CatalogCrossing['kind'], schema: string, object: string, references: string): CatalogCrossing {
  return { kind, schema, object, references, message: `database: ${kind} ${schema}.${object} of module "${schema}" reaches ${references}, owned by another module` };
}
