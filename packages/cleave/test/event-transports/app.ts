import type { Generated } from 'kysely';
import { z } from 'zod';
import type { Migrations } from '../../src/data/migrations.ts';
import type { EventContext } from '../../src/events/subscription.ts';
import { defineContract, event } from '../../src/module/contract.ts';
import { defineModule } from '../../src/module/define-module.ts';

// The tiny app every transport is tested with: `pub` publishes, `sub` reacts.

const Thing = z.object({ id: z.string(), n: z.number().int() });

export const pub = defineContract('pub', {
  operations: {},
  events: {
    'thing.changed.v1': event(Thing, { aggregateKey: (p) => p.id }),
    'thing.other.v1': event(Thing, { aggregateKey: (p) => p.id }),
    // Nobody subscribes: it must never reach `sub`'s inbox.
    'thing.ignored.v1': event(Thing, { aggregateKey: (p) => p.id }),
  },
});
export type EventName = keyof typeof pub.$events;

export interface PubDb {
  things: { id: string; n: number };
}

const pubMigrations: Migrations = {
  '0001_things': {
    async up(db) {
      await db.schema.createTable('things').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('n', 'integer', (c) => c.notNull()).execute();
    },
  },
};

export const pubModule = defineModule<typeof pub, PubDb>(pub, { migrations: pubMigrations, handlers: {} });

/** Every effect of `sub`'s handlers: no unique key, so a second effect of one event would show. */
export interface SubDb {
  effects: { id: Generated<number>; aggregate: string; n: number; name: string; event_id: string };
}

const subMigrations: Migrations = {
  '0001_effects': {
    async up(db) {
      await db.schema
        .createTable('effects')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('aggregate', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .execute();
    },
  },
};

export const keyOf = (id: string, n: number): string => `${id}:${n}`;

/** Holds a handler after it wrote its effect, until the test crashes it (the transaction rolls back). */
export class Gate {
  entered = false;
  readonly released: Promise<never>;
  #crash!: (err: Error) => void;
  constructor() {
    this.released = new Promise<never>((_resolve, reject) => (this.#crash = reject));
    this.released.catch(() => {});
  }
  crash(): void {
    this.#crash(new Error('consumer crashed mid-handler'));
  }
}

/**
 * What the tests tell the handlers, keyed by `aggregate:n`: fail the next K attempts or
 * always (after writing the effect, so a failure must roll it back), or hold at a gate.
 * `attempts` records every handler call in order.
 */
export const control = {
  fail: new Map<string, number | 'always'>(),
  gates: new Map<string, Gate>(),
  attempts: [] as string[],
};

export function holdHandler(key: string): Gate {
  const gate = new Gate();
  control.gates.set(key, gate);
  return gate;
}

/** The handler calls made for one aggregate, as the `n` of each, in call order. */
export function attemptsOf(aggregate: string): number[] {
  return control.attempts.filter((k) => k.startsWith(`${aggregate}:`)).map((k) => Number(k.slice(aggregate.length + 1)));
}

async function react(name: EventName, payload: z.output<typeof Thing>, ctx: EventContext<SubDb>): Promise<void> {
  const key = keyOf(payload.id, payload.n);
  control.attempts.push(key);
  await ctx.db.insertInto('effects').values({ aggregate: payload.id, n: payload.n, name, event_id: ctx.event.id }).execute();
  const gate = control.gates.get(key);
  if (gate) {
    control.gates.delete(key);
    gate.entered = true;
    await gate.released;
  }
  const rule = control.fail.get(key);
  if (rule === 'always') throw new Error(`told to fail ${key}`);
  if (rule !== undefined && rule > 0) {
    control.fail.set(key, rule - 1);
    throw new Error(`told to fail ${key} (${rule - 1} more)`);
  }
}

export const subContract = defineContract('sub', { operations: {} });

export const subModule = defineModule<typeof subContract, SubDb>(subContract, {
  dependsOn: [pub],
  migrations: subMigrations,
  handlers: {},
  subscriptions: (on) => [
    on(pub.$events['thing.changed.v1'], (p, ctx) => react('thing.changed.v1', p, ctx)),
    on(pub.$events['thing.other.v1'], (p, ctx) => react('thing.other.v1', p, ctx)),
  ],
});

/** Subscribing modules of each event name (what `subscribersByEvent` derives from an app). */
export function subscriberMap(): ReadonlyMap<string, readonly string[]> {
  return new Map(subModule.subscriptions.map((s) => [s.event.name, [subModule.name]]));
}
