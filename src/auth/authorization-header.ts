// Reading the Authorization header (RFC 9110 / RFC 7617). Malformed values are reported, never
// guessed at, so a broken client gets a clear 401 instead of being treated as anonymous.

/** The Basic user name that means "the password is a personal access token" (pip/twine convention). */
export const TOKEN_USERNAME = '__token__';

export type ParsedAuthorization =
  | { scheme: 'none' }
  | { scheme: 'bearer'; token: string }
  | { scheme: 'basic'; username: string; password: string }
  | { scheme: 'malformed-bearer'; message: string }
  | { scheme: 'malformed-basic'; message: string }
  | { scheme: 'other' };

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;

export function parseAuthorization(header: string | null): ParsedAuthorization {
  if (header === null) return { scheme: 'none' };
  if (/^Bearer\b/i.test(header)) {
    const match = BEARER.exec(header);
    return match ? { scheme: 'bearer', token: match[1]! } : { scheme: 'malformed-bearer', message: 'Malformed Authorization header: expected "Bearer <token>".' };
  }
  if (/^Basic\b/i.test(header)) return parseBasic(header);
  return { scheme: 'other' };
}

function parseBasic(header: string): ParsedAuthorization {
  const malformed = { scheme: 'malformed-basic', message: 'Malformed Authorization header: expected "Basic base64(user:password)".' } as const;
  const match = BASIC.exec(header);
  if (!match || match[1]!.length % 4 !== 0) return malformed;
  const text = decodeUtf8(Buffer.from(match[1]!, 'base64'));
  // RFC 7617: the user id cannot contain a colon, so the first colon separates the two parts.
  const colon = text?.indexOf(':') ?? -1;
  if (text === null || colon < 0) return malformed;
  return { scheme: 'basic', username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * The bytes as UTF-8, or null when they are not valid UTF-8. A fatal decoder, rather than looking
 * for U+FFFD afterwards: a password may legitimately contain U+FFFD itself.
 */
function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
