// The session cookie: HttpOnly, SameSite=Lax, Secure when the public URL is https.
import { parseCookie, stringifySetCookie } from 'cookie';
import type { Config } from '../config.ts';

export function readSessionCookie(config: Config, cookieHeader: string | null): string | null {
  if (!cookieHeader) return null;
  try {
    return parseCookie(cookieHeader)[config.session.cookieName] ?? null;
  } catch {
    // A malformed Cookie header carries no usable session; the request proceeds as anonymous.
    return null;
  }
}

export function sessionCookie(config: Config, token: string, expiresAt: Date): string {
  return stringifySetCookie(config.session.cookieName, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.session.secureCookie,
    path: '/',
    expires: expiresAt,
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
