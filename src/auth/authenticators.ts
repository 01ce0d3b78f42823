// The authenticator registry. An authenticator looks at a request and answers "not mine", "this
// user", or "these credentials are invalid"; the registry tries them in position order and the
// first that recognises the request decides. The built-in cookie, bearer and Basic authenticators
// are registered the same way a deployer's (e.g. LDAP) is: one object with one method.
import type { EntityManager } from '@mikro-orm/sql';
import type { Credential, Services } from '../context.ts';
import type { User } from '../accounts/entities.ts';
import { findSessionByToken } from '../sessions/service.ts';
import { readSessionCookie } from '../http/session-cookies.ts';
import { findAccessToken, looksLikeAccessToken } from '../tokens/service.ts';
import { liveCredentialOf } from '../realtime/connections.ts';
import type { LiveCredential } from '../realtime/pubsub.ts';
import { parseAuthorization, TOKEN_USERNAME } from './authorization-header.ts';

declare module '../context.ts' {
  interface CredentialKinds {
    /** HTTP Basic email + password on this request (AUTH_BACKEND=basic), or a deployer's authenticator. */
    password: { kind: 'password'; via: 'basic' | string };
  }
  interface RequestScope {
    /** How the viewer proved who they are on this request (null: anonymous). */
    credential: Credential | null;
  }
}

/** What an authenticator sees of a request: its headers, whatever the transport (HTTP or WebSocket). */
export interface AuthRequest {
  headers: Headers;
  /** The client address, for throttling. */
  ip: string;
}

export type AuthOutcome =
  | { kind: 'none' }
  | { kind: 'authenticated'; user: User; credential: Credential }
  /** Credentials were presented and are wrong: the request is refused, never downgraded to anonymous. */
  | { kind: 'invalid'; message: string; retryAfter?: number }
  /** A stale session cookie: the request continues anonymously and the cookie is cleared. */
  | { kind: 'stale-cookie' };

export interface AuthDeps {
  em: EntityManager;
  services: Services;
}

export interface Authenticator {
  readonly name: string;
  authenticate(request: AuthRequest, deps: AuthDeps): Promise<AuthOutcome>;
}

export const NOT_MINE: AuthOutcome = { kind: 'none' };

export class AuthenticatorRegistry {
  readonly #entries: Authenticator[] = [];

  /** Adds an authenticator at `position` (0 = tried first; default: last). */
  add(authenticator: Authenticator, position = this.#entries.length): this {
    if (this.#entries.some((entry) => entry.name === authenticator.name)) {
      throw new Error(`An authenticator named "${authenticator.name}" is already registered`);
    }
    this.#entries.splice(Math.max(0, Math.min(position, this.#entries.length)), 0, authenticator);
    return this;
  }

  names(): string[] {
    return this.#entries.map((entry) => entry.name);
  }

  async authenticate(request: AuthRequest, deps: AuthDeps): Promise<AuthOutcome> {
    for (const authenticator of this.#entries) {
      const outcome = await authenticator.authenticate(request, deps);
      if (outcome.kind !== 'none') return outcome;
    }
    return NOT_MINE;
  }

  /**
   * For a connection that stays open (a graphql-ws socket): 'refused' for wrong credentials, else
   * the credential revocations end it by (null: anonymous).
   */
  async authenticateConnection(request: AuthRequest, deps: AuthDeps): Promise<LiveCredential | null | 'refused'> {
    const outcome = await this.authenticate(request, deps);
    if (outcome.kind === 'invalid') return 'refused';
    return outcome.kind === 'authenticated' ? liveCredentialOf(outcome.user, outcome.credential) : null;
  }
}

async function accessTokenOutcome(raw: string, via: 'bearer' | 'basic', { em, services }: AuthDeps): Promise<AuthOutcome> {
  const token = await findAccessToken(em, services, raw);
  if (!token) {
    return {
      kind: 'invalid',
      message: services.config.allowApiTokens
        ? 'The access token is invalid, expired or revoked.'
        : 'Personal access tokens are turned off on this server.',
    };
  }
  return { kind: 'authenticated', user: token.user, credential: { kind: 'token', via, token } };
}

/** `Authorization: Bearer <session token | gth_ access token>`. */
export const bearerAuthenticator: Authenticator = {
  name: 'bearer',
  async authenticate(request, deps) {
    const header = parseAuthorization(request.headers.get('authorization'));
    if (header.scheme !== 'bearer') return header.scheme === 'malformed-bearer' ? { kind: 'invalid', message: header.message } : NOT_MINE;
    if (looksLikeAccessToken(header.token)) return accessTokenOutcome(header.token, 'bearer', deps);
    const { config, clock, sessionLookupJoins: joins } = deps.services;
    const session = await findSessionByToken({ em: deps.em, config, clock, joins }, header.token);
    if (!session) return { kind: 'invalid', message: 'The bearer token is invalid or has expired.' };
    return { kind: 'authenticated', user: session.user, credential: { kind: 'session', via: 'bearer', session } };
  },
};

/** `Authorization: Basic base64(__token__:<access token>)`, the way pip, twine and npm send tokens. */
export const basicTokenAuthenticator: Authenticator = {
  name: 'basic-token',
  async authenticate(request, deps) {
    const header = parseAuthorization(request.headers.get('authorization'));
    if (header.scheme === 'malformed-basic') return { kind: 'invalid', message: header.message };
    if (header.scheme !== 'basic' || header.username !== TOKEN_USERNAME) return NOT_MINE;
    return accessTokenOutcome(header.password, 'basic', deps);
  },
};

/** The HttpOnly session cookie set by `login`. */
export const cookieSessionAuthenticator: Authenticator = {
  name: 'cookie',
  async authenticate(request, deps) {
    const { services } = deps;
    const token = readSessionCookie(services.config, request.headers.get('cookie'));
    if (token === null) return NOT_MINE;
    // deps.em read only now: a request without credentials never forks an EntityManager.
    const session = await findSessionByToken({ em: deps.em, config: services.config, clock: services.clock, joins: services.sessionLookupJoins }, token);
    if (!session) return { kind: 'stale-cookie' };
    return { kind: 'authenticated', user: session.user, credential: { kind: 'session', via: 'cookie', session } };
  },
};

/**
 * Refuses an Authorization header no earlier authenticator recognised (an unknown scheme, or Basic
 * with a user other than __token__ on the session backend): presented credentials are never ignored.
 */
export const unrecognisedAuthorization: Authenticator = {
  name: 'unrecognised-authorization',
  async authenticate(request, { services }) {
    const header = parseAuthorization(request.headers.get('authorization'));
    if (header.scheme === 'none') return NOT_MINE;
    // The basic backend takes no Bearer at all: say what it does take.
    if (services.config.authBackend === 'basic') {
      return { kind: 'invalid', message: `Use HTTP Basic with your email and password, or the user "${TOKEN_USERNAME}" with a personal access token.` };
    }
    if (header.scheme === 'basic') {
      return { kind: 'invalid', message: `HTTP Basic accepts the user "${TOKEN_USERNAME}" with a personal access token as the password.` };
    }
    return { kind: 'invalid', message: 'Unsupported Authorization scheme: use "Bearer <token>" or Basic with __token__.' };
  },
};
