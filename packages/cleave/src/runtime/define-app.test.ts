import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAggregate } from '../gateway/aggregate.ts';
import { defineContract, operation } from '../module/contract.ts';
import { defineModule } from '../module/define-module.ts';
import { defineApp } from './define-app.ts';

const Id = z.object({ id: z.string() });
const users = defineContract('users', {
  operations: { register: operation({ input: Id, output: Id }), login: operation({ input: Id, output: Id }) },
});
const posts = defineContract('posts', { operations: { getPost: operation({ input: Id, output: Id }) } });
const billing = defineContract('billing', { operations: { charge: operation({ input: Id, output: Id }) } });

const usersModule = defineModule(users, { handlers: { register: async (i) => i, login: async (i) => i } });
const postsModule = defineModule(posts, { dependsOn: [users], handlers: { getPost: async (i) => i } });
const identity = { signup: users.register, login: users.login };

describe('defineApp', () => {
  it('accepts unique modules whose dependencies are all in the app', () => {
    const app = defineApp({ name: 'saas', version: '1.0.0', modules: [usersModule, postsModule], gateway: { identity } });
    expect(app.modules.map((m) => m.name)).toEqual(['users', 'posts']);
    expect(Object.isFrozen(app)).toBe(true);
  });

  it('rejects a module listed twice', () => {
    expect(() => defineApp({ name: 'saas', version: '1', modules: [usersModule, postsModule, usersModule], gateway: { identity } })).toThrow(
      'app "saas": module "users" is listed twice',
    );
  });

  it('rejects two modules with the same name', () => {
    const again = defineModule(users, { handlers: { register: async (i) => i, login: async (i) => i } });
    expect(() => defineApp({ name: 'saas', version: '1', modules: [usersModule, again], gateway: { identity } })).toThrow(/"users" is listed twice/);
  });

  it('rejects a dependsOn naming a module the app does not have', () => {
    expect(() => defineApp({ name: 'saas', version: '1', modules: [postsModule], gateway: { identity } })).toThrow(
      'module "posts" depends on "users", which is not a module of app "saas"',
    );
  });

  it('rejects an aggregate depending on a module the app does not have', () => {
    const aggregate = defineAggregate('bill', {
      http: { method: 'GET', path: '/bill' },
      input: z.object({}),
      output: z.object({}),
      dependsOn: [billing],
      handler: async () => ({}),
    });
    expect(() =>
      defineApp({ name: 'saas', version: '1', modules: [usersModule, postsModule], gateway: { identity, aggregates: [aggregate] } }),
    ).toThrow('aggregate "bill" depends on "billing", which is not a module of app "saas"');
  });
});
