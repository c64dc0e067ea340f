import { hash, verify } from '@node-rs/argon2';

/**
 * Argon2id with OWASP's minimum profile (19 MiB, 2 iterations, 1 lane): memory-hard, so
 * a stolen table of hashes is expensive to crack on GPUs. About 40 ms a hash here.
 */
// `algorithm: 2` is Argon2id (the package's const enum can't be imported under verbatimModuleSyntax).
const PROFILE = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PROFILE);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false; // a malformed stored hash never matches
  }
}

// A real hash to verify against when the account does not exist, so a login for an
// unknown email costs as much as one for a known email (no user enumeration by timing).
let decoy: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<false> {
  decoy ??= hashPassword('cleave-decoy-password');
  await verifyPassword(await decoy, password);
  return false;
}
