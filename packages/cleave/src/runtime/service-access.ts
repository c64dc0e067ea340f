import type { AnyOperation } from '../module/contract.ts';
import type { AppDefinition } from './define-app.ts';
import type { Topology } from './topology.ts';

/**
 * The modules a service may call: those its modules (and the modules whose jobs it runs)
 * declare in `dependsOn`, and for the
 * gateway role the modules behind public routes, aggregates and identity. A callee
 * refuses (403) a call from a service whose set lacks the called module.
 */
export function callableModules(app: AppDefinition, topology: Topology, service: string): ReadonlySet<string> {
  const spec = topology.services[service];
  const allowed = new Set<string>();
  if (spec === undefined) return allowed;
  // A worker calls on behalf of the modules whose jobs it runs.
  for (const name of [...spec.modules, ...(spec.jobs ?? [])]) {
    for (const dep of app.modules.find((m) => m.name === name)?.dependsOn ?? []) allowed.add(dep);
  }
  if (spec.roles?.includes('gateway')) {
    for (const module of app.modules) {
      if ((Object.values(module.contract.$operations) as AnyOperation[]).some((op) => op.http)) allowed.add(module.name);
    }
    for (const aggregate of app.gateway.aggregates ?? []) for (const dep of aggregate.dependsOn) allowed.add(dep.$name);
    const identity = app.gateway.identity;
    if (identity) for (const op of [identity.signup, identity.login]) allowed.add(op.module);
  }
  return allowed;
}

/** `(callerService, module) → allowed`, computed once for the whole topology. */
export function accessMatrix(app: AppDefinition, topology: Topology): (caller: string, module: string) => boolean {
  const matrix = new Map(Object.keys(topology.services).map((s) => [s, callableModules(app, topology, s)]));
  return (caller, module) => matrix.get(caller)?.has(module) ?? false;
}
