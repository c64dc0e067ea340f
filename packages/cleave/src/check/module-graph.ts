/** The module graph: who depends on whom (calls and subscriptions, from `dependsOn`). */
export interface ModuleGraph {
  readonly modules: readonly string[];
  readonly edges: readonly (readonly [from: string, to: string])[];
  readonly fanOut: Readonly<Record<string, number>>;
  readonly fanIn: Readonly<Record<string, number>>;
  /** Strongly connected groups of more than one module (or a module reaching itself). */
  readonly cycles: readonly (readonly string[])[];
}

export function moduleGraph(modules: readonly { name: string; dependsOn: readonly string[] }[]): ModuleGraph {
  const names = modules.map((m) => m.name);
  const edges = modules.flatMap((m) => m.dependsOn.map((d) => [m.name, d] as const));
  const fanOut = Object.fromEntries(names.map((n) => [n, edges.filter(([f]) => f === n).length]));
  const fanIn = Object.fromEntries(names.map((n) => [n, edges.filter(([, t]) => t === n).length]));
  return { modules: names, edges, fanOut, fanIn, cycles: cyclesOf(names, edges) };
}

/** Tarjan's strongly connected components; a component of two or more is a cycle. */
function cyclesOf(names: readonly string[], edges: readonly (readonly [string, string])[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const [, w] of edges.filter(([f]) => f === v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) cycles.push(group.sort());
    }
  };
  for (const n of names) if (!index.has(n)) visit(n);
  return cycles;
}
