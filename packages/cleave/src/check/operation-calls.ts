import type { Node } from 'typescript';
import type { ImportGraph } from './import-graph.ts';
import { importBindings, walk } from './module-source.ts';
import type { ParsedFile } from './module-source.ts';
import { isContractEntry, ownerOf } from './module-folders.ts';
import type { ModuleBoundary } from './module-folders.ts';
import type { TypeScriptApi } from './typescript-api.ts';

/** A call of another module's operation, as the code shows it. */
export interface OperationCall {
  readonly module: string;
  readonly file: string;
  readonly line: number;
  /** `contract.operation` as written. */
  readonly operation: string;
  readonly target: string;
  /** The target is in the caller's dependsOn. */
  readonly declared: boolean;
  readonly message: string;
}

/**
 * Calls of other modules' operations, found in the code: `ctx.call(users.getUser, …)`,
 * a saga step's `s.call(payments.charge, …)`, where the contract object is imported
 * (directly, or through a re-exporting file). An undeclared one is a violation found
 * here instead of at the first request (`cleave.UNDECLARED_DEPENDENCY` at run time).
 */
export function operationCalls(ts: TypeScriptApi, module: ModuleBoundary, parsed: ParsedFile, modules: readonly ModuleBoundary[], graph: ImportGraph): OperationCall[] {
  const bindings = importBindings(ts, parsed.source);
  const targets = new Map(graph.imports(parsed.file).map((i) => [i.specifier, i.target]));
  const found: OperationCall[] = [];
  walk(ts, parsed.source, (node) => {
    if (!ts.isCallExpression(node) || !isCallCallee(ts, node.expression)) return;
    const [first] = node.arguments;
    if (first === undefined || !(ts.isPropertyAccessExpression(first) || ts.isElementAccessExpression(first))) return;
    const base = leftmostIdentifier(ts, first);
    const specifier = base === undefined ? undefined : bindings.get(base);
    const target = specifier === undefined ? undefined : targets.get(specifier);
    if (target === undefined) return;
    const owner = contractOwner(target, modules, graph);
    if (owner === undefined || owner === module) return;
    const operation = first.getText(parsed.source);
    const line = parsed.lineOf(node);
    found.push({
      module: module.name, file: parsed.shown, line, operation, target: owner.name, declared: module.dependsOn.includes(owner.name),
      message: `${parsed.shown}:${line}: module "${module.name}" calls ${operation} of module "${owner.name}" but does not declare "${owner.name}" in dependsOn`,
    });
  });
  return found;
}

/** `ctx.call(...)`, `s.call(...)`, a destructured `call(...)`. */
function isCallCallee(ts: TypeScriptApi, callee: Node): boolean {
  if (ts.isIdentifier(callee)) return callee.text === 'call';
  return ts.isPropertyAccessExpression(callee) && callee.name.text === 'call';
}

function leftmostIdentifier(ts: TypeScriptApi, node: Node): string | undefined {
  let current = node;
  while (ts.isPropertyAccessExpression(current) || ts.isElementAccessExpression(current)) current = current.expression;
  return ts.isIdentifier(current) ? current.text : undefined;
}

/** The module whose contract a file is, or re-exports (one hop through files of no module). */
function contractOwner(target: string, modules: readonly ModuleBoundary[], graph: ImportGraph): ModuleBoundary | undefined {
  const owner = ownerOf(modules, target);
  if (owner !== undefined) return isContractEntry(owner, target) ? owner : undefined;
  const reached = graph.imports(target).flatMap((i) => (i.target === undefined ? [] : [ownerOf(modules, i.target)]));
  const distinct = [...new Set(reached.filter((m) => m !== undefined))];
  return distinct.length === 1 ? distinct[0] : undefined;
}
