import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CleaveError, isCleaveError } from '../errors/cleave-error.ts';
import { defineContract, event, operation } from './contract.ts';

const Id = z.object({ id: z.string() });

function sampleContract() {
  return defineContract('users', {
    operations: {
      getUser: operation({ input: Id, output: Id, idempotent: true }),
      rename: operation({ input: Id, output: Id, http: { method: 'PATCH', path: '/users/:id' } }),
    },
    events: { 'user.created.v1': event(z.object({ userId: z.string() })) },
    errors: { EMAIL_TAKEN: { status: 409, title: 'Email already registered' } },
  });
}

describe('defineContract', () => {
  it('attaches module, name and id to each operation and keeps its spec', () => {
    const users = sampleContract();
    expect(users.getUser).toMatchObject({ module: 'users', name: 'getUser', id: 'users.getUser', idempotent: true });
    expect(users.rename).toMatchObject({ module: 'users', name: 'rename', id: 'users.rename', http: { method: 'PATCH', path: '/users/:id' } });
    expect(users.getUser.input).toBe(Id);
  });

  it('exposes operations as properties and under $operations (the same objects)', () => {
    const users = sampleContract();
    expect(users.$name).toBe('users');
    expect(Object.keys(users.$operations).sort()).toEqual(['getUser', 'rename']);
    expect(users.$operations.getUser).toBe(users.getUser);
    expect(users.$operations.rename).toBe(users.rename);
  });

  it('freezes the contract and its operations', () => {
    const users = sampleContract();
    expect(Object.isFrozen(users)).toBe(true);
    expect(Object.isFrozen(users.getUser)).toBe(true);
  });

  it('attaches module and name to events', () => {
    const users = sampleContract();
    expect(users.$events['user.created.v1']).toMatchObject({ module: 'users', name: 'user.created.v1' });
  });

  it('rejects operation names starting with "$"', () => {
    expect(() => defineContract('users', { operations: { $operations: operation({ input: Id, output: Id }) } })).toThrow(
      /operation names may not start with "\$" \(\$operations\)/,
    );
    expect(() => defineContract('users', { operations: { $x: operation({ input: Id, output: Id }) } })).toThrow(/\$x/);
  });

  it.each(['user.created', 'created.v1', 'User.created.v1', 'user.created.v', 'user.created.V1', 'user..created.v1'])(
    'rejects the unversioned or malformed event name %s',
    (name) => {
      expect(() => defineContract('users', { operations: {}, events: { [name]: event(z.object({})) } })).toThrow(
        /must be a versioned name like "user\.created\.v1"/,
      );
    },
  );

  it.each(['user.created.v1', 'user.email_changed.v12', 'billing.invoice.paid.v2'])('accepts the versioned event name %s', (name) => {
    const c = defineContract('users', { operations: {}, events: { [name]: event(z.object({})) } });
    expect(c.$events[name]?.name).toBe(name);
  });

  it('$errors factories produce CleaveErrors with the namespaced code and status', () => {
    const users = sampleContract();
    expect(users.$errors.EMAIL_TAKEN.code).toBe('users.EMAIL_TAKEN');
    expect(users.$errors.EMAIL_TAKEN.status).toBe(409);
    const err = users.$errors.EMAIL_TAKEN('a@b.c is taken', { email: 'a@b.c' });
    expect(err).toBeInstanceOf(CleaveError);
    expect(err).toMatchObject({ code: 'users.EMAIL_TAKEN', status: 409, title: 'Email already registered', detail: 'a@b.c is taken', details: { email: 'a@b.c' } });
    expect(err.message).toBe('a@b.c is taken');
    expect(isCleaveError(err, users.$errors.EMAIL_TAKEN)).toBe(true);
    expect(isCleaveError(err, 'users.OTHER')).toBe(false);
  });

  it('an error without detail uses its title as message', () => {
    const err = sampleContract().$errors.EMAIL_TAKEN();
    expect(err.detail).toBeUndefined();
    expect(err.message).toBe('Email already registered');
  });
});
