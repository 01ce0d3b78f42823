// The authenticator registry: each authenticator looks at a request and answers "not mine",
// "this user", or "these credentials are invalid". They are tried in order; the first that
// recognises the request decides. Deployers add one (e.g. LDAP) by implementing `authenticate`.
import type { EntityManager } from '@mikro-orm/sqlite';
import type { Credential, Services } from '../context.ts';
import type { User } from '../accounts/entities.ts';
import { findSessionByToken } from '../sessions/service.ts';
import { readSessionCookie } from '../sessions/cookies.ts';

/** What an authenticator sees of a request: its headers, whatever the transport. */
export interface AuthRequest {
  headers: Headers;
}

export type AuthOutcome =
  | { kind: 'none' }
  | { kind: 'authenticated'; user: User; credential: Credential }
  /** Credentials were presented and are wrong: the request is refused, never downgraded to anonymous. */
  | { kind: 'invalid'; message: string }
  /** A stale session cookie: the request continues anonymously and the cookie is cleared. */
  | { kind: 'stale-cookie' };

export interface Authenticator {
  readonly name: string;
  authenticate(request: AuthRequest, deps: { em: EntityManager; services: Services }): Promise<AuthOutcome>;
}

const NONE: AuthOutcome = { kind: 'none' };

/** `Authorization: Bearer <session token>`. */
export const bearerSessionAuthenticator: Authenticator = {
  name: 'bearer',
  async authenticate(request, { em, services }) {
    const header = request.headers.get('authorization');
    if (header === null) return NONE;
    const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header);
    if (!match) {
      return /^Bearer\b/i.test(header)
        ? { kind: 'invalid', message: 'Malformed Authorization header: expected "Bearer <token>".' }
        : { kind: 'invalid', message: 'Unsupported Authorization scheme: use "Bearer <token>".' };
    }
    const session = await findSessionByToken({ em, config: services.config, clock: services.clock }, match[1]!);
    if (!session) return { kind: 'invalid', message: 'The bearer token is invalid or has expired.' };
    return { kind: 'authenticated', user: session.user, credential: { kind: 'session', via: 'bearer', session } };
  },
};

/** The HttpOnly session cookie set by `login`. */
export const cookieSessionAuthenticator: Authenticator = {
  name: 'cookie',
  async authenticate(request, { em, services }) {
    const token = readSessionCookie(services.config, request.headers.get('cookie'));
    if (token === null) return NONE;
    const session = await findSessionByToken({ em, config: services.config, clock: services.clock }, token);
    if (!session) return { kind: 'stale-cookie' };
    return { kind: 'authenticated', user: session.user, credential: { kind: 'session', via: 'cookie', session } };
  },
};

export const defaultAuthenticators: Authenticator[] = [bearerSessionAuthenticator, cookieSessionAuthenticator];

export async function authenticate(
  authenticators: readonly Authenticator[],
  request: AuthRequest,
  deps: { em: EntityManager; services: Services },
): Promise<AuthOutcome> {
  for (const authenticator of authenticators) {
    const outcome = await authenticator.authenticate(request, deps);
    if (outcome.kind !== 'none') return outcome;
  }
  return NONE;
}
