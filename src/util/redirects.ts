// Where a finished OAuth flow may send the browser: a `redirectTo` is accepted only when it falls
// under an OAUTH_REDIRECT_ALLOWLIST entry (same scheme and host[:port], path under the entry's
// path at a segment boundary), judged on the parsed URL, and the parsed form is what is used.
// No open redirect: anything relative, with credentials, backslashes or control characters is refused.

/** Schemes a redirect must never use, even when listed. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'blob:', 'vbscript:', 'about:', 'filesystem:']);
const UNSAFE_CHARACTERS = /[\s\\\u0000-\u001F\u007F]/;
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
export const REDIRECT_MAX_LENGTH = 2048;

/** Parses an absolute URL that is safe to redirect to, or null. */
function parseTarget(value: string): URL | null {
  if (value.length > REDIRECT_MAX_LENGTH || UNSAFE_CHARACTERS.test(value) || !HAS_SCHEME.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not a URL: not a place to send anyone.
    return null;
  }
  if (url.username || url.password || FORBIDDEN_SCHEMES.has(url.protocol)) return null;
  // Parsing percent-encodes: the form actually used must fit too.
  return url.href.length <= REDIRECT_MAX_LENGTH ? url : null;
}

/**
 * Checks one OAUTH_REDIRECT_ALLOWLIST entry: an absolute URL (http(s), or an app's own scheme such
 * as `com.example.app:/oauth`) without credentials, query or fragment. Returns its normal form.
 */
export function parseAllowlistEntry(value: string): { entry: string } | { problem: string } {
  const url = parseTarget(value);
  if (!url) return { problem: `"${value}" is not an absolute URL that can be redirected to` };
  if (url.search || url.hash || value.includes('#')) return { problem: `"${value}": remove the query and fragment` };
  if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.hostname) return { problem: `"${value}" has no host` };
  return { entry: url.href };
}

function pathWithin(path: string, prefix: string): boolean {
  if (prefix === '' || prefix === '/' || path === prefix) return true;
  return path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/** The URL to redirect to when `candidate` is allowed by the list (in its parsed form), else null. */
export function allowedRedirect(candidate: string, allowlist: readonly string[]): string | null {
  const url = parseTarget(candidate);
  if (!url) return null;
  for (const entry of allowlist) {
    const prefix = new URL(entry);
    if (url.protocol === prefix.protocol && url.host === prefix.host && pathWithin(url.pathname, prefix.pathname)) return url.href;
  }
  return null;
}

/** `target` with these query parameters set (replacing any of the same name). */
export function withParams(target: string, params: Record<string, string>): string {
  const url = new URL(target);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}
