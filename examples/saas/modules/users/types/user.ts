import { z } from 'zod';

export const Email = z.email({ error: 'must be a valid email address' }).max(254).transform((e) => e.trim().toLowerCase());
// The upper bound keeps a hostile client from making the KDF hash megabytes.
export const Password = z.string().min(8, 'must have at least 8 characters').max(256);
export const DisplayName = z.string().trim().min(1, 'must not be empty').max(100);
export const UserId = z.string().min(1).max(64);

/** A user as its owner sees it. */
export const User = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
});
export type User = z.infer<typeof User>;

/** What anyone may see of a user. */
export const PublicProfile = z.object({ id: z.string(), name: z.string() });
export type PublicProfile = z.infer<typeof PublicProfile>;
