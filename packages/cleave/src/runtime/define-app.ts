import type { AnyAggregate } from '../gateway/aggregate.ts';
import type { IdentityOperations } from '../gateway/auth-routes.ts';
import type { RateLimitPolicy } from '../gateway/rate-limit.ts';
import type { AnyModule } from '../module/define-module.ts';

export interface GatewaySpec {
  /** The identity module's operations behind signup and login. */
  readonly identity: IdentityOperations;
  readonly aggregates?: readonly AnyAggregate[];
  /** Replaces the default policies (600/min per IP, 1200/min per user, 20/min per IP on auth). */
  readonly rateLimits?: readonly RateLimitPolicy[];
}

/** An application: every module it has, and its public edge. Topologies place the modules. */
export interface AppDefinition {
  readonly name: string;
  readonly version: string;
  readonly modules: readonly AnyModule[];
  readonly gateway: GatewaySpec;
  /**
   * Trust in-process calls (default false). A call from a module handler or an aggregate
   * to a module in the same process then skips the callee's input and output parsing for
   * every operation whose schemas cannot change a valid value (no defaults, transforms,
   * coercion or trims: those keep being parsed). TypeScript has checked both sides, so
   * what is skipped is a second check of typed values; values pass as they are, unknown
   * object keys included. Nothing else changes: input from the gateway and from other
   * services is always validated, and so is the answer the gateway sends. Costs of a
   * call: bench/call-overhead.ts. Leave it off while types can lie (`as`, `any`, JSON
   * cast to a type) in code that calls other modules.
   */
  readonly trustInProcessCalls?: boolean;
}

/**
 * Declares an application. Checks what can be checked without running anything:
 * module names are unique and every `dependsOn` names a module of the app.
 *
 * @example
 * export const app = defineApp({ name: 'saas', version: '1.0.0', modules: [usersModule, postsModule], gateway: { identity } });
 */
export function defineApp(spec: AppDefinition): AppDefinition {
  const names = new Set<string>();
  for (const module of spec.modules) {
    if (names.has(module.name)) throw new Error(`app "${spec.name}": module "${module.name}" is listed twice`);
    names.add(module.name);
  }
  for (const module of spec.modules) {
    for (const dep of module.dependsOn) {
      if (!names.has(dep)) throw new Error(`module "${module.name}" depends on "${dep}", which is not a module of app "${spec.name}"`);
    }
  }
  for (const aggregate of spec.gateway.aggregates ?? []) {
    for (const dep of aggregate.dependsOn) {
      if (!names.has(dep.$name)) throw new Error(`aggregate "${aggregate.name}" depends on "${dep.$name}", which is not a module of app "${spec.name}"`);
    }
  }
  return Object.freeze(spec);
}
