import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';

/** The part of JSON Schema the generated OpenAPI document uses. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly anyOf?: readonly JsonSchema[];
  readonly format?: string;
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Strings that have broken servers: NUL, lone surrogates, bidi and BOM, huge, injection-shaped. */
export const hostileString: Arbitrary<string> = fc.oneof(
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udc00', '\u202e\u2066', '\ufeff', '😀'.repeat(50), '%00', '../../etc/passwd', "' OR 1=1 --", '${7*7}', '__proto__', 'constructor', ''),
  fc.tuple(fc.string(), loneSurrogate, fc.string()).map(([a, s, b]) => a + s + b),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);

/** Values of any JSON type (deep ones are made as text, see `body`). */
export const hostileValue: Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, true, -1, 0, 1e308, -0, 2 ** 53 + 1, [], {}),
);

// Kept as text: fast-check (and any recursive printer) overflows on such values.
const deepArrays = fc.integer({ min: 60, max: 9_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth));

/** A value the schema accepts (as far as this small generator knows the schema). */
export function valid(schema: JsonSchema | undefined): Arbitrary<unknown> {
  if (schema === undefined) return fc.constant({});
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf?.length) return fc.oneof(...schema.anyOf.map(valid));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'email') return fc.uuid().map((u) => `fuzz-${u}@example.com`);
      return fc.string({ minLength: Math.max(schema.minLength ?? 0, 1), maxLength: Math.min(schema.maxLength ?? 40, 40) }).filter((s) => s.length >= (schema.minLength ?? 0));
    case 'integer':
      return fc.integer({ min: schema.minimum ?? 1, max: Math.min(schema.maximum ?? 10, 10) });
    case 'number':
      return fc.double({ min: schema.minimum ?? 0, max: schema.maximum ?? 10, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valid(schema.items), { minLength: 1, maxLength: 3 });
    case 'object': {
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const record: Record<string, Arbitrary<unknown>> = {};
      for (const [name, prop] of Object.entries(props)) record[name] = valid(prop);
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A body as sent (JSON text): valid, one field made hostile or deep, an unknown key, not JSON, or anything at all. */
export function body(schema: JsonSchema | undefined): Arbitrary<string> {
  const fields = Object.keys(schema?.properties ?? {});
  const field = fields.length ? fc.constantFrom(...fields) : fc.constant('x');
  const json = (value: unknown) => JSON.stringify(value) ?? 'null';
  return fc.oneof(
    { weight: 2, arbitrary: valid(schema).map(json) },
    { weight: 3, arbitrary: fc.tuple(valid(schema), field, hostileValue).map(([value, name, bad]) => json({ ...(value as object), [name]: bad })) },
    { weight: 1, arbitrary: fc.tuple(field, deepArrays).map(([name, deep]) => `{${JSON.stringify(name)}:${deep}}`) },
    { weight: 1, arbitrary: fc.tuple(valid(schema), hostileString).map(([value, key]) => json({ ...(value as object), [key || 'k']: 1 })) },
    { weight: 1, arbitrary: hostileValue.map(json) },
    { weight: 1, arbitrary: fc.constantFrom('{', '{"a":1,}', 'nul', '\u0000', '{"a":"\ud800"}', '"just a string"', '[1,2]') },
  );
}

/** A path or query value, percent-encoded as a client would send it (raw bytes when UTF-16 cannot be). */
export const urlValue: Arbitrary<string> = fc.oneof(
  fc.uuid(),
  hostileString.map((s) => {
    try {
      return encodeURIComponent(s.slice(0, 3_000));
    } catch {
      return '%ED%A0%80'; // a lone surrogate as CESU-8 bytes: not UTF-8
    }
  }),
  fc.constantFrom('%00', '%FF', '%', '%%', '..%2F..', '%C0%AE'),
);
