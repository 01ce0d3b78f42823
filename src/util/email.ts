// Email addresses: one normal form for storage and one key for uniqueness and lookup.

export const EMAIL_MAX_LENGTH = 254;

/** Trims and lower-cases the domain; the local part keeps its case for display and delivery. */
export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed;
  return trimmed.slice(0, at) + '@' + trimmed.slice(at + 1).toLowerCase();
}

/** The uniqueness key: mailbox providers treat local parts case-insensitively, so do we. */
export function emailKey(email: string): string {
  return normalizeEmail(email).toLowerCase();
}

// One '@', no spaces or control characters, a dotted domain of LDH labels (WHATWG-style check).
const EMAIL_PATTERN =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

/** Returns a message when the address is not acceptable, null when it is. */
export function checkEmail(email: string): string | null {
  const normalized = normalizeEmail(email);
  if (normalized.length === 0) return 'Enter an email address.';
  if (normalized.length > EMAIL_MAX_LENGTH) return `Use at most ${EMAIL_MAX_LENGTH} characters.`;
  if (!EMAIL_PATTERN.test(normalized)) return 'Enter a valid email address, like name@example.com.';
  const local = normalized.slice(0, normalized.lastIndexOf('@'));
  if (local.length > 64) return 'The part before "@" is too long.';
  return null;
}
