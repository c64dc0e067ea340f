import { configErrors } from '../errors/boot-errors.ts';
import { z } from 'zod';

/**
 * Shapes of what users hand to `defineApp`, `defineTopology` and `defineConfig`, checked
 * at the call so a mistake fails where it is made, with the path of the field, instead
 * of as a `TypeError` deep in boot. Objects the framework built itself (modules,
 * operations, aggregates, topologies) are recognised by their marks, not re-validated.
 * Objects stay open (`loose`): features add fields to services and apps, and an older
 * schema must not refuse them.
 */

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const mark = (what: string, test: (v: Record<string, unknown>) => boolean) =>
  z.custom<unknown>((v) => isRecord(v) && test(v), { message: `expected ${what}` });

const name = z.string().regex(/^[A-Za-z0-9][\w-]*$/, 'expected a name of letters, digits, "-" or "_"');
const fn = z.custom<unknown>((v) => typeof v === 'function', { message: 'expected a function' });

const module = mark('a module from defineModule()', (v) => typeof v.name === 'string' && isRecord(v.contract) && isRecord(v.handlers));
const operation = mark('an operation of a contract (e.g. users.register)', (v) => typeof v.id === 'string' && typeof v.module === 'string' && isRecord(v.input));
const aggregate = mark('an aggregate from defineAggregate()', (v) => typeof v.name === 'string' && isRecord(v.http) && typeof v.handler === 'function');
const rateLimit = z.looseObject({
  name: z.string().min(1),
  points: z.number().int().positive(),
  durationSeconds: z.number().positive(),
  key: z.enum(['ip', 'user']),
  pathPrefix: z.string().optional(),
});

const gateway = z
  .looseObject({
    identity: z.strictObject({ signup: operation, login: operation }).optional(),
    authenticate: fn.optional(),
    aggregates: z.array(aggregate).optional(),
    rateLimits: z.array(rateLimit).optional(),
  })
  .refine((g) => g.identity === undefined || g.authenticate === undefined, {
    message: 'give either identity (Cleave sessions) or authenticate (your own), not both',
    path: ['authenticate'],
  });

export const appSchema = z.looseObject({
  name,
  version: z.string().min(1),
  modules: z.array(module),
  gateway: gateway.optional(),
});

const service = z.looseObject({
  modules: z.array(z.string().min(1)),
  roles: z.array(z.string().min(1)).optional(),
  jobs: z.array(z.string().min(1)).optional(),
  port: z.number().int().min(0).max(65535).optional(),
});

export const topologySchema = z.looseObject({
  name: z.string().min(1),
  services: z.record(name, service).refine((s) => Object.keys(s).length > 0, 'a topology needs at least one service'),
});

export const configSchema = z
  .looseObject({
    app: mark('the app from defineApp()', (v) => typeof v.name === 'string' && Array.isArray(v.modules)),
    topologies: z.record(z.string(), mark('a topology from defineTopology()', (v) => isRecord(v.services))),
    defaultTopology: z.string().optional(),
  })
  .refine((c) => c.defaultTopology === undefined || Object.hasOwn(c.topologies, c.defaultTopology), {
    message: 'names no topology of `topologies`',
    path: ['defaultTopology'],
  });

/** Throws `<where>: <path>: <message>` for each problem when `value` does not fit. */
export function assertShape(where: string, schema: z.ZodType, value: unknown): void {
  const result = schema.safeParse(value);
  if (result.success) return;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw configErrors.APP_INVALID(`${where}: ${problems.join('; ')}`);
}
