import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob } from '../jobs/define-job.ts';
import { defineContract, operation } from './contract.ts';
import { defineModule } from './define-module.ts';
import type { Handlers } from './define-module.ts';

const Id = z.object({ id: z.string() });
const users = defineContract('users', {
  operations: {
    getUser: operation({ input: Id, output: Id }),
    deleteUser: operation({ input: Id, output: Id }),
  },
});
const posts = defineContract('posts', { operations: { getPost: operation({ input: Id, output: Id }) } });

describe('defineModule', () => {
  it('builds a frozen definition with dependency names and defaults', () => {
    const m = defineModule(posts, { dependsOn: [users], handlers: { getPost: async (input) => input } });
    // Without `dir`, the module's folder is that of the file calling defineModule: this one.
    expect(m).toMatchObject({ name: 'posts', dependsOn: ['users'], migrations: {}, dir: import.meta.dirname, definedIn: import.meta.filename });
    expect(m.contract).toBe(posts);
    expect(Object.isFrozen(m)).toBe(true);
  });

  it('keeps an explicit dir', () => {
    expect(defineModule(posts, { dir: '/somewhere/posts', handlers: { getPost: async (input) => input } }).dir).toBe('/somewhere/posts');
  });

  it('throws naming every operation without a handler', () => {
    const handlers = { getUser: async (input: { id: string }) => input } as unknown as Handlers<typeof users, unknown>;
    expect(() => defineModule(users, { handlers })).toThrow('module "users" has no handler for: deleteUser');
    expect(() => defineModule(users, { handlers: {} as Handlers<typeof users, unknown> })).toThrow(
      'module "users" has no handler for: getUser, deleteUser',
    );
  });

  it('treats a non-function handler as missing', () => {
    const handlers = { getUser: async (input: { id: string }) => input, deleteUser: 'nope' } as unknown as Handlers<typeof users, unknown>;
    expect(() => defineModule(users, { handlers })).toThrow(/no handler for: deleteUser/);
  });

  it('throws when a module depends on itself', () => {
    expect(() => defineModule(posts, { dependsOn: [users, posts], handlers: { getPost: async (input) => input } })).toThrow(
      'module "posts" cannot depend on itself',
    );
  });

  it('refuses jobs that share a queue but not its rate limit', () => {
    const job = (name: string, rateLimit?: { max: number; perMs: number }) => defineJob(name, { payload: z.object({}), queue: 'mail', ...(rateLimit ? { rateLimit } : {}), handler: async () => {} });
    const handlers = { getPost: async (input: { id: string }) => input };
    expect(defineModule(posts, { handlers, jobs: [job('a', { max: 2, perMs: 1_000 }), job('b', { max: 2, perMs: 1_000 })] }).jobs).toHaveLength(2);
    expect(() => defineModule(posts, { handlers, jobs: [job('a', { max: 2, perMs: 1_000 }), job('b')] })).toThrow('module "posts": jobs "a" and "b" share queue "mail" but declare different rate limits');
    expect(() => defineModule(posts, { handlers, jobs: [job('a', { max: 2, perMs: 1_000 }), job('b', { max: 3, perMs: 1_000 })] })).toThrow('share queue "mail"');
  });
});
