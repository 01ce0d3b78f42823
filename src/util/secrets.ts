// Random tokens and their stored form. Tokens come from the CSPRNG; only their SHA-256 is stored.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 bits from the CSPRNG, base64url encoded (43 characters), optionally with a recognisable prefix. */
export function generateToken(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** The stored form of a token: hex SHA-256. Lookups go by this value, never by the raw token. */
export function hashToken(token: string): string {
  // One-shot crypto.hash: no Hash object per call (this runs on every authenticated request).
  return hash('sha256', token, 'hex');
}

/** Constant-time string comparison (length leaks, content does not). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
