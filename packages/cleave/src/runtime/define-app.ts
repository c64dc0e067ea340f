import type { AnyAggregate } from '../gateway/aggregate.ts';
import type { IdentityOperations } from '../gateway/auth-routes.ts';
import type { RateLimitPolicy } from '../gateway/rate-limit.ts';
import type { Authenticate } from '../gateway/user-auth.ts';
import type { AnyOperation } from '../module/contract.ts';
import type { AnyModule } from '../module/define-module.ts';
import { configErrors } from '../errors/boot-errors.ts';
import { appSchema, assertShape } from './definition-schemas.ts';

/**
 * The public edge. Who the user is comes from one of: `identity` (Cleave's sessions:
 * signup/login/refresh/logout routes, EdDSA access tokens, JWKS), `authenticate` (yours),
 * or neither (public routes only).
 */
export interface GatewaySpec {
  /** The identity module's operations behind signup and login. */
  readonly identity?: IdentityOperations;
  readonly authenticate?: Authenticate;
  readonly aggregates?: readonly AnyAggregate[];
  /** Replaces the default policies (600/min per IP, 1200/min per user, 20/min per IP on auth). */
  readonly rateLimits?: readonly RateLimitPolicy[];
}

/** What `defineApp` takes. Without `gateway`, exposed operations are served, public ones only. */
export interface AppSpec {
  readonly name: string;
  readonly version: string;
  readonly modules: readonly AnyModule[];
  readonly gateway?: GatewaySpec;
}

/** An application: every module it has, and its public edge. Topologies place the modules. */
export interface AppDefinition extends AppSpec {
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
 * Declares an application. Checks what can be checked without running anything: the
 * shape of every field, module names are unique, every `dependsOn` names a module of the
 * app, and a route that needs a user has a gateway that can establish one.
 *
 * @example
 * export const app = defineApp({ name: 'saas', version: '1.0.0', modules: [usersModule, postsModule], gateway: { identity } });
 */
export function defineApp(spec: AppSpec): AppDefinition {
  assertShape('defineApp', appSchema, spec);
  const gateway = spec.gateway ?? {};
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
  for (const aggregate of gateway.aggregates ?? []) {
    for (const dep of aggregate.dependsOn) {
      if (!names.has(dep.$name)) throw configErrors.UNKNOWN_DEPENDENCY(`aggregate "${aggregate.name}" depends on "${dep.$name}", which is not a module of app "${spec.name}"`);
    }
  }
  if (gateway.identity === undefined && gateway.authenticate === undefined) assertPublicOnly(spec, gateway);
  return Object.freeze({ ...spec, gateway });
}

/** Without a way to establish users, a route that needs one could only ever answer 401. */
function assertPublicOnly(spec: AppSpec, gateway: GatewaySpec): void {
  const routes = [
    ...spec.modules.flatMap((m) => (Object.values(m.contract.$operations) as AnyOperation[]).map((op) => ({ id: op.id, http: op.http }))),
    ...(gateway.aggregates ?? []).map((a) => ({ id: `aggregate ${a.name}`, http: a.http })),
  ];
  const needUser = routes.filter((r) => r.http && (r.http.auth ?? 'user') === 'user').map((r) => r.id);
  if (needUser.length > 0) {
    throw configErrors.APP_INVALID(
      `app "${spec.name}": ${needUser.join(', ')} need a signed-in user (http.auth defaults to 'user') but the gateway has no ` +
        `identity or authenticate; mark them auth: 'public' or give gateway.identity / gateway.authenticate`,
    );
  }
}
