import type { AnyAggregate } from '../gateway/aggregate.ts';
import type { IdentityOperations } from '../gateway/auth-routes.ts';
import type { RateLimitPolicy } from '../gateway/rate-limit.ts';
import type { AnyModule } from '../module/define-module.ts';
import { configErrors } from '../errors/boot-errors.ts';

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
    if (names.has(module.name)) throw configErrors.MODULE_TWICE(`app "${spec.name}": module "${module.name}" is listed twice`);
    names.add(module.name);
  }
  for (const module of spec.modules) {
    for (const dep of module.dependsOn) {
      if (!names.has(dep)) throw configErrors.UNKNOWN_DEPENDENCY(`module "${module.name}" depends on "${dep}", which is not a module of app "${spec.name}"`);
    }
  }
  for (const aggregate of spec.gateway.aggregates ?? []) {
    for (const dep of aggregate.dependsOn) {
      if (!names.has(dep.$name)) throw configErrors.UNKNOWN_DEPENDENCY(`aggregate "${aggregate.name}" depends on "${dep.$name}", which is not a module of app "${spec.name}"`);
    }
  }
  return Object.freeze(spec);
}
