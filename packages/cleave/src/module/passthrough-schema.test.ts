import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isPassthroughSchema } from './passthrough-schema.ts';

describe('isPassthroughSchema', () => {
  it('accepts schemas whose parse hands the value back unchanged', () => {
    const Profile = z.object({ id: z.string(), name: z.string().min(1).max(80), email: z.email().optional(), at: z.iso.datetime() });
    expect(isPassthroughSchema(Profile)).toBe(true);
    expect(isPassthroughSchema(z.object({ items: z.array(Profile), next: z.string().nullable() }).strict())).toBe(true);
    expect(isPassthroughSchema(z.discriminatedUnion('kind', [z.object({ kind: z.literal('a') }), z.object({ kind: z.literal('b'), n: z.number().int() })]))).toBe(true);
    expect(isPassthroughSchema(z.record(z.string(), z.tuple([z.number(), z.boolean()])))).toBe(true);
    expect(isPassthroughSchema(z.object({ id: z.string() }).refine((v) => v.id !== ''))).toBe(true);
  });

  it('refuses schemas that can change a valid value, however deep', () => {
    expect(isPassthroughSchema(z.object({ limit: z.number().default(20) }))).toBe(false);
    expect(isPassthroughSchema(z.object({ q: z.object({ email: z.string().trim() }) }))).toBe(false);
    expect(isPassthroughSchema(z.object({ n: z.coerce.number() }))).toBe(false);
    expect(isPassthroughSchema(z.array(z.string().transform((s) => s.length)))).toBe(false);
    expect(isPassthroughSchema(z.string().pipe(z.email()))).toBe(false);
    expect(isPassthroughSchema(z.object({ tag: z.string().catch('none') }))).toBe(false);
    expect(isPassthroughSchema(z.union([z.string(), z.string().toLowerCase()]))).toBe(false);
  });
});
