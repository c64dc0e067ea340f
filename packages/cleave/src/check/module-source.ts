import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Node, SourceFile } from 'typescript';
import type { TypeScriptApi } from './typescript-api.ts';

/** One parsed file of a module, for checks that read the code itself (not only its imports). */
export interface ParsedFile {
  readonly file: string;
  /** Path relative to the working directory, for messages. */
  readonly shown: string;
  readonly source: SourceFile;
  lineOf(node: Node): number;
}

export function parseFile(ts: TypeScriptApi, file: string): ParsedFile {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  return {
    file,
    shown: relative(process.cwd(), file),
    source,
    lineOf: (node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
  };
}

/** Every node of a file, depth first. */
export function walk(ts: TypeScriptApi, root: Node, visit: (node: Node) => void): void {
  const go = (node: Node): void => {
    visit(node);
    ts.forEachChild(node, go);
  };
  go(root);
}

/** The local names a file binds by import, each with the specifier it comes from. */
export function importBindings(ts: TypeScriptApi, source: SourceFile): Map<string, string> {
  const bindings = new Map<string, string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const from = statement.moduleSpecifier.text;
    const clause = statement.importClause;
    if (clause?.name) bindings.set(clause.name.text, from);
    const named = clause?.namedBindings;
    if (named && ts.isNamespaceImport(named)) bindings.set(named.name.text, from);
    if (named && ts.isNamedImports(named)) for (const el of named.elements) bindings.set(el.name.text, from);
  }
  return bindings;
}
