import type { z } from 'zod';

interface Internals {
  readonly _zod: {
    readonly def: {
      readonly type: string;
      readonly coerce?: boolean;
      readonly checks?: readonly { readonly _zod: { readonly def: { readonly check: string } } }[];
      readonly shape?: Record<string, unknown>;
      readonly catchall?: unknown;
      readonly innerType?: unknown;
      readonly element?: unknown;
      readonly options?: readonly unknown[];
      readonly items?: readonly unknown[];
      readonly rest?: unknown;
      readonly keyType?: unknown;
      readonly valueType?: unknown;
      readonly left?: unknown;
      readonly right?: unknown;
    };
  };
}

// Types whose parse returns the very value it was given (or, for containers, a copy
// built from their members' results): anything not listed may change the value.
const LEAVES = new Set(['string', 'number', 'int', 'boolean', 'bigint', 'null', 'undefined', 'literal', 'enum', 'any', 'unknown', 'date', 'nan', 'template_literal', 'void', 'never', 'symbol']);

/**
 * True when parsing a valid value with `schema` hands back an equal value: no defaults,
 * transforms, pipes, coercion, `catch`, or value-rewriting checks (`trim`, `toLowerCase`).
 * Only such schemas may be skipped on a trusted in-process call: for them, skipping the
 * parse changes nothing but the unknown keys an object would strip. Unknown kinds count
 * as not passthrough, so a newer Zod type is validated rather than trusted by mistake.
 */
export function isPassthroughSchema(schema: z.ZodType): boolean {
  return passthrough(schema, new Set());
}

function passthrough(schema: unknown, seen: Set<unknown>): boolean {
  if (seen.has(schema)) return true;
  seen.add(schema);
  const def = (schema as Internals | undefined)?._zod?.def;
  if (def === undefined) return false;
  if (def.coerce === true) return false;
  if (def.checks?.some((c) => c._zod.def.check === 'overwrite')) return false;
  const all = (list: readonly unknown[]) => list.every((s) => passthrough(s, seen));
  if (LEAVES.has(def.type)) return true;
  switch (def.type) {
    case 'object':
      return all(Object.values(def.shape ?? {})) && (def.catchall === undefined || passthrough(def.catchall, seen));
    case 'optional':
    case 'nullable':
    case 'nonoptional':
      return passthrough(def.innerType, seen);
    case 'array':
    case 'set':
      return passthrough(def.element, seen);
    case 'union':
      return all(def.options ?? []);
    case 'intersection':
      return all([def.left, def.right]);
    case 'tuple':
      return all(def.items ?? []) && (def.rest === undefined || def.rest === null || passthrough(def.rest, seen));
    case 'record':
    case 'map':
      return all([def.keyType, def.valueType]);
    default:
      // default, prefault, catch, transform, pipe, readonly, lazy, promise, custom…
      return false;
  }
}
