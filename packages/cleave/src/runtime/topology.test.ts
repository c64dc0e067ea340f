import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, operation } from '../module/contract.ts';
import { defineModule } from '../module/define-module.ts';
import { defineApp } from './define-app.ts';
import { defineTopology, hostOf, jobsServiceOf, validateTopology } from './topology.ts';

const Id = z.object({ id: z.string() });
const users = defineContract('users', {
  operations: { register: operation({ input: Id, output: Id }), login: operation({ input: Id, output: Id }) },
});
const posts = defineContract('posts', { operations: { getPost: operation({ input: Id, output: Id }) } });
const app = defineApp({
  name: 'saas',
  version: '1',
  modules: [
    defineModule(users, { handlers: { register: async (i) => i, login: async (i) => i } }),
    defineModule(posts, { dependsOn: [users], handlers: { getPost: async (i) => i } }),
  ],
  gateway: { identity: { signup: users.register, login: users.login } },
});

describe('validateTopology', () => {
  it('accepts a monolith and a split that place every module once with a gateway', () => {
    expect(() => validateTopology(app, defineTopology({ name: 'monolith', services: { app: { modules: ['users', 'posts'], roles: ['gateway'] } } }))).not.toThrow();
    expect(() =>
      validateTopology(app, {
        name: 'split',
        services: { edge: { modules: [], roles: ['gateway'] }, u: { modules: ['users'] }, p: { modules: ['posts'] } },
      }),
    ).not.toThrow();
  });

  it("places a module's jobs on the service that claims them, else on its host; one claim per module", () => {
    const topology = defineTopology({ name: 'worker', services: { edge: { modules: ['users', 'posts'], roles: ['gateway'] }, w: { modules: [], roles: ['worker'], jobs: ['posts'] } } });
    expect(() => validateTopology(app, topology)).not.toThrow();
    expect([jobsServiceOf(topology, 'posts'), jobsServiceOf(topology, 'users')]).toEqual(['w', 'edge']);
    const twice = { name: 'jobs-twice', services: { edge: { modules: ['users', 'posts'], roles: ['gateway' as const], jobs: ['posts'] }, w: { modules: [], jobs: ['posts'] } } };
    expect(() => validateTopology(app, twice)).toThrow('topology "jobs-twice": the jobs of "posts" are claimed by both "edge" and "w"');
    const unknown = { name: 'jobs-unknown', services: { edge: { modules: ['users', 'posts'], roles: ['gateway' as const] }, w: { modules: [], jobs: ['mail'] } } };
    expect(() => validateTopology(app, unknown)).toThrow('service "w" runs the jobs of "mail", which is not a module of app "saas"');
  });

  it('rejects a module hosted by two services', () => {
    const topology = { name: 'twice', services: { a: { modules: ['users', 'posts'], roles: ['gateway' as const] }, b: { modules: ['posts'] } } };
    expect(() => validateTopology(app, topology)).toThrow('topology "twice": module "posts" is hosted by both "a" and "b"');
  });

  it('rejects a module hosted twice by the same service', () => {
    const topology = { name: 'dup', services: { a: { modules: ['users', 'posts', 'users'], roles: ['gateway' as const] } } };
    expect(() => validateTopology(app, topology)).toThrow(/module "users" is hosted by both "a" and "a"/);
  });

  it('rejects a module no service hosts', () => {
    const topology = { name: 'partial', services: { a: { modules: ['users'], roles: ['gateway' as const] } } };
    expect(() => validateTopology(app, topology)).toThrow('topology "partial": no service hosts posts');
  });

  it('rejects a module the app does not have', () => {
    const topology = { name: 'extra', services: { a: { modules: ['users', 'posts', 'billing'], roles: ['gateway' as const] } } };
    expect(() => validateTopology(app, topology)).toThrow('topology "extra": service "a" hosts "billing", which is not a module of app "saas"');
  });

  it('rejects a topology without a gateway role', () => {
    const topology = { name: 'headless', services: { a: { modules: ['users'] }, b: { modules: ['posts'], roles: [] } } };
    expect(() => validateTopology(app, topology)).toThrow('topology "headless": no service has the gateway role');
  });
});

describe('hostOf', () => {
  const split = defineTopology({ name: 'split', services: { edge: { modules: ['users'], roles: ['gateway'] }, content: { modules: ['posts'] } } });

  it('names the service hosting a module', () => {
    expect(hostOf(split, 'users')).toBe('edge');
    expect(hostOf(split, 'posts')).toBe('content');
  });

  it('is undefined for a module no service hosts', () => {
    expect(hostOf(split, 'billing')).toBeUndefined();
  });

  it('defineTopology freezes the topology', () => {
    expect(Object.isFrozen(split)).toBe(true);
  });
});
