/**
 * The users module's contract: the only file other modules may import.
 */
import { defineContract, event, operation } from '@cleavejs/core';
import { z } from 'zod';
import { DisplayName, Email, Password, PublicProfile, User, UserId } from './types/user.ts';

export { PublicProfile, User } from './types/user.ts';

export const users = defineContract('users', {
  operations: {
    register: operation({
      description: 'Create an account. Used by the gateway for signup.',
      input: z.object({ email: Email, password: Password, name: DisplayName }).strict(),
      output: User,
    }),
    verifyCredentials: operation({
      description: 'Check an email and password. Used by the gateway for login.',
      input: z.object({ email: Email, password: z.string().max(256) }).strict(),
      output: User,
      idempotent: true,
    }),
    getMe: operation({
      input: z.object({}).strict(),
      output: User,
      idempotent: true,
      http: { method: 'GET', path: '/users/me', summary: 'The signed-in user' },
    }),
    updateMe: operation({
      input: z.object({ name: DisplayName }).strict(),
      output: User,
      idempotent: true,
      http: { method: 'PATCH', path: '/users/me', summary: 'Change the signed-in user\'s name' },
    }),
    getPublicProfile: operation({
      input: z.object({ id: UserId }).strict(),
      output: PublicProfile,
      idempotent: true,
      http: { method: 'GET', path: '/users/:id', auth: 'public', summary: 'A user\'s public profile' },
    }),
  },
  events: {
    'user.created.v1': event(z.object({ userId: z.string(), email: z.string(), name: z.string() }), { aggregateKey: (p) => p.userId }),
    'user.updated.v1': event(z.object({ userId: z.string(), name: z.string() }), { aggregateKey: (p) => p.userId }),
  },
  errors: {
    EMAIL_TAKEN: { status: 409, title: 'This email is already registered' },
    INVALID_CREDENTIALS: { status: 401, title: 'Email or password is wrong' },
    NOT_FOUND: { status: 404, title: 'User not found' },
  },
});
