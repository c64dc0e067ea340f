import { createHash } from 'node:crypto';

/** A strong ETag from the bytes themselves: equal bytes, equal tag, whichever process made them. */
export function etagOf(data: Uint8Array): string {
  return `"${createHash('sha256').update(data).digest('base64url').slice(0, 32)}"`;
}

/** Variants never change once made (a new upload is a new image id). */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
