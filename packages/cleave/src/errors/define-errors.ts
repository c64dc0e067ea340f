import { CleaveError } from './cleave-error.ts';

/** One entry of an error registry: a stable code, its HTTP status and a human title. */
export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
}

/** A factory for one registered error; `.code` is the stable code to match on. */
export interface ErrorFactory {
  (detail?: string, details?: Record<string, unknown>, cause?: unknown): CleaveError;
  readonly code: string;
  readonly status: number;
  readonly title: string;
}

export type ErrorRegistry<T extends Record<string, ErrorSpec>> = { readonly [K in keyof T]: ErrorFactory };

/**
 * Declares a registry of errors under a namespace (a package or a module), the way
 * Fastify keeps one table of codes: every code is written once, with its status.
 *
 * @example
 * const errors = defineErrors('users', { EMAIL_TAKEN: { status: 409, title: 'Email already registered' } });
 * throw errors.EMAIL_TAKEN(`${email} is taken`);
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(namespace: string, specs: T): ErrorRegistry<T> {
  const registry: Record<string, ErrorFactory> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const code = `${namespace}.${key}`;
    const factory = (detail?: string, details?: Record<string, unknown>, cause?: unknown) =>
      new CleaveError({ code, status: spec.status, title: spec.title, detail, details, cause });
    registry[key] = Object.assign(factory, { code, status: spec.status, title: spec.title });
  }
  return registry as ErrorRegistry<T>;
}
