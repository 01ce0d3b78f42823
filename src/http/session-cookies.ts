// The session cookie: HttpOnly, SameSite=Lax, Secure when the public URL is https.
import { parseCookie, stringifySetCookie } from 'cookie';
import type { Config } from '../config/index.ts';

export function readSessionCookie(config: Config, cookieHeader: string | null): string | null {
  if (!cookieHeader) return null;
  try {
    return parseCookie(cookieHeader)[config.session.cookieName] ?? null;
  } catch {
    // A malformed Cookie header carries no usable session; the request proceeds as anonymous.
    return null;
  }
}

/**
 * The cookie lives until the session's absolute end, not its idle expiry: the server slides the idle
 * expiry without sending the cookie again, so a browser would otherwise drop a live session after
 * SESSION_IDLE_TTL. An idle-expired session's cookie is cleared on its next use (stale cookie).
 */
export function sessionCookie(config: Config, token: string, expires: Date): string {
  return stringifySetCookie(config.session.cookieName, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.session.secureCookie,
    path: '/',
    expires,
  });
}

export function clearedSessionCookie(config: Config): string {
  return stringifySetCookie(config.session.cookieName, '', {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.session.secureCookie,
    path: '/',
    expires: new Date(0),
  });
}

/**
 * Adds a session Set-Cookie to a response's list, replacing one queued earlier in the same request
 * (e.g. the clearing of a stale cookie before `login` sets a new one): RFC 6265 asks for at most
 * one Set-Cookie per cookie name, and browsers disagree on which of two wins.
 */
export function queueSessionCookie(config: Config, responseCookies: string[], setCookie: string): void {
  const prefix = `${config.session.cookieName}=`;
  const kept = responseCookies.filter((cookie) => !cookie.startsWith(prefix));
  responseCookies.splice(0, responseCookies.length, ...kept, setCookie);
}
