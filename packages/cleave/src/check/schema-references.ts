import type { Node } from 'typescript';
import { walk } from './module-source.ts';
import type { ParsedFile } from './module-source.ts';
import type { TypeScriptApi } from './typescript-api.ts';

/** A module's code naming another module's schema: a query or migration across the line. */
export interface SchemaReference {
  readonly module: string;
  readonly file: string;
  readonly line: number;
  readonly schema: string;
  readonly text: string;
  readonly message: string;
}

/** What the scan knows of the other modules: schema name (= module name) and operation names. */
export interface SchemaOwner {
  readonly schema: string;
  readonly operations: ReadonlySet<string>;
}

const SQL_WORDS = /\b(select|insert|update|delete|from|join|references|create|alter|drop|view|function|trigger|into|search_path|grant)\b/i;

/**
 * Every module owns the schema named after it; no migration or query of one module may
 * name another's. The scan reads string and template literals (Kysely's builders take
 * table names as strings, raw SQL is a template) and `withSchema('…')`:
 * - a literal that is exactly a qualified name, `users.accounts`;
 * - `users.<name>` anywhere in a literal that reads as SQL.
 * A name that is also one of the module's own tables (`createTable('payments')` in orders)
 * makes `payments.amount` a column reference, not a schema, and is skipped; so is a
 * string that names an operation (`users.getUser`).
 */
export function schemaReferences(ts: TypeScriptApi, module: string, parsed: ParsedFile, others: readonly SchemaOwner[], ownTables: ReadonlySet<string>): SchemaReference[] {
  const found: SchemaReference[] = [];
  const report = (node: Node, schema: string, text: string): void => {
    const line = parsed.lineOf(node);
    found.push({
      module, file: parsed.shown, line, schema, text,
      message: `${parsed.shown}:${line}: module "${module}" names schema "${schema}" of module "${schema}" (${JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text)}); call its contract or subscribe to its events instead`,
    });
  };
  walk(ts, parsed.source, (node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'withSchema') {
      const [arg] = node.arguments;
      const other = arg !== undefined && ts.isStringLiteralLike(arg) ? others.find((o) => o.schema === arg.text) : undefined;
      if (other) report(node, other.schema, arg!.getText(parsed.source));
      return;
    }
    const text = literalText(ts, node);
    if (text === undefined) return;
    for (const other of others) {
      if (names(text, other, ownTables)) {
        report(node, other.schema, text);
        return;
      }
    }
  });
  return found;
}

function names(text: string, other: SchemaOwner, ownTables: ReadonlySet<string>): boolean {
  if (ownTables.has(other.schema)) return false;
  const s = other.schema;
  const whole = new RegExp(`^"?${s}"?\\s*\\.\\s*"?([A-Za-z_][\\w$]*)"?$`).exec(text.trim());
  if (whole) return !other.operations.has(whole[1] ?? '');
  if (!SQL_WORDS.test(text)) return false;
  return new RegExp(`(?<![\\w.$"])"?${s}"?\\s*\\.\\s*"?[A-Za-z_]`, 'i').test(text);
}

function literalText(ts: TypeScriptApi, node: Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ? ');
  return undefined;
}

/** Tables a module creates in its own schema: `createTable('x')` and `create table x`. */
export function ownTableNames(ts: TypeScriptApi, files: readonly ParsedFile[]): Set<string> {
  const tables = new Set<string>();
  for (const parsed of files) {
    walk(ts, parsed.source, (node) => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'createTable') {
        const [arg] = node.arguments;
        if (arg !== undefined && ts.isStringLiteralLike(arg)) tables.add(arg.text);
      }
      const text = literalText(ts, node);
      for (const m of text?.matchAll(/create\s+table\s+(?:if\s+not\s+exists\s+)?"?([a-z_][\w$]*)"?\s*\(/gi) ?? []) if (m[1]) tables.add(m[1]);
    });
  }
  return tables;
}
