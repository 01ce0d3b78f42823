// Password hashing: argon2id with OWASP's parameters; verification always costs one argon2 run,
// so an unknown email and a wrong password take the same time. Imported accounts may still hold
// another system's hash (password-formats.ts) until their first sign-in replaces it.
import argon2 from 'argon2';
import { HashFormatError, parseHash, verifyParsedHash, type ParsedHash } from './password-formats.ts';
import { deprioritizeThreadPool } from '../util/thread-priority.ts';

/** OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1. */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

export async function hashPassword(password: string): Promise<string> {
  const hash = await argon2.hash(password, ARGON2_OPTIONS);
  deprioritizeThreadPool();
  return hash;
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies a password against a stored hash, or against a dummy hash when there is none,
 * so callers never take a shortcut that reveals whether the account exists. A hash other than
 * today's argon2id (an imported one, until its first sign-in) is checked alongside the dummy, so
 * a cheap old hash never answers faster than an unknown email does.
 */
export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  const parsed = hash ? readStoredHash(hash) : null;
  if (!parsed) {
    await verifyDummy(password);
    return false;
  }
  try {
    const [verified] = await Promise.all([verifyParsedHash(parsed, password), needsRehash(hash!) ? verifyDummy(password) : null]);
    return verified;
  } catch {
    // A malformed stored hash never verifies; treating it as a mismatch keeps login answers uniform.
    return false;
  } finally {
    deprioritizeThreadPool();
  }
}

async function verifyDummy(password: string): Promise<void> {
  dummyHash ??= hashPassword('gatehouse-dummy-password-for-timing');
  await argon2.verify(await dummyHash, password).catch(() => false);
}

/** A malformed stored hash is null: it never verifies, like a mismatch. */
function readStoredHash(hash: string): ParsedHash | null {
  try {
    return parseHash(hash);
  } catch (error) {
    if (error instanceof HashFormatError) return null;
    throw error;
  }
}

/** True unless the hash is argon2id with today's parameters: anything else is replaced at the next sign-in. */
export function needsRehash(hash: string): boolean {
  const parsed = readStoredHash(hash);
  if (parsed?.scheme !== 'argon2' || parsed.variant !== 'argon2id' || parsed.phc !== hash) return true;
  return argon2.needsRehash(hash, ARGON2_OPTIONS);
}
