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

/**
 * An address partly hidden, for a notice sent to someone else's mailbox: the first character of the
 * local part and of the domain, and the top-level domain (`n*****@e******.org`).
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return '*'.repeat(Math.min(email.length, 12));
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const name = dot < 0 ? domain : domain.slice(0, dot);
  const tld = dot < 0 ? '' : domain.slice(dot);
  const hide = (part: string) => (part.length <= 1 ? '*' : part[0] + '*'.repeat(Math.min(part.length - 1, 10)));
  return `${hide(local)}@${hide(name)}${tld}`;
}
