// Builds the context of one GraphQL operation (HTTP, SSE or WebSocket): the request's lazily
// forked EntityManager, then the viewer and credential the authenticator chain finds, and the
// per-request access loader (narrowed for a permission-restricted access token).
import { GraphQLError } from 'graphql';
import type { EntityManager } from '@mikro-orm/sql';
import type { Config } from '../config/index.ts';
import type { Context, Services } from '../context.ts';
import type { ServerContext } from '../http/responses.ts';
import { clearedSessionCookie } from '../http/session-cookies.ts';
import { accessLoader } from '../accounts/roles.ts';
import type { AuthenticatorRegistry } from './authenticators.ts';

/** Where a context keeps the EntityManager its `em` getter forked. */
const FORKED = Symbol('gatehouse.requestEntityManager');

export type ContextBuilder = (request: Request, server: ServerContext, target?: object) => Promise<Omit<Context, 'request'>>;

export function createContextBuilder(services: Services, authenticators: AuthenticatorRegistry): ContextBuilder {
  const { config } = services;

  /**
   * The request's EntityManager, forked on first use: an anonymous request that reads no data forks
   * none. One getter serves every context; the fork is kept on the context itself.
   */
  function requestEntityManager(this: { [FORKED]?: EntityManager }): EntityManager {
    // services.orm is read at each use: a restore swaps it (src/database/swap.ts).
    return (this[FORKED] ??= services.orm.em.fork());
  }

  /** The context of one operation, built onto `target` (its `em` an enumerable getter, see above). */
  return async function buildContext(request, server, target = {}) {
    const context = Object.defineProperties(target, {
      em: { get: requestEntityManager, enumerable: true, configurable: true },
      [FORKED]: { value: undefined, writable: true, enumerable: false, configurable: true },
    }) as Context;
    // Before authenticating: the authenticators read `services` and `em` from it.
    context.services = services;
    const outcome = await authenticators.authenticate({ headers: request.headers, ip: server.ip }, context);
    if (outcome.kind === 'invalid') throw authenticationFailure(config, outcome.message, outcome.retryAfter);
    // The basic backend has no anonymous requests: no credentials gets the browser's login dialog.
    if (outcome.kind === 'none' && config.authBackend === 'basic') throw authenticationFailure(config, 'Sign in with HTTP Basic.');
    if (outcome.kind === 'stale-cookie') server.responseCookies.push(clearedSessionCookie(config));
    const authenticated = outcome.kind === 'authenticated';
    const credential = authenticated ? outcome.credential : null;
    const restriction =
      credential?.kind === 'token' && credential.token.permissions
        ? { userId: credential.token.user.id, permissions: credential.token.permissions }
        : undefined;
    // Assigned, never spread: spreading would call the `em` getter.
    context.viewer = authenticated ? outcome.user : null;
    context.credential = credential;
    context.ip = server.ip;
    context.userAgent = request.headers.get('user-agent');
    context.requestId = server.requestId;
    context.responseCookies = server.responseCookies;
    context.loadAccess = accessLoader(() => context.em, restriction);
    return context;
  };
}

/**
 * 401 (or 429 when throttled) for credentials that failed, with the challenge a client needs:
 * `Basic` on the basic backend (so a browser shows its login dialog), `Bearer` otherwise.
 */
function authenticationFailure(config: Config, message: string, retryAfter?: number): GraphQLError {
  const challenge = config.authBackend === 'basic' ? 'Basic realm="Gatehouse", charset="UTF-8"' : 'Bearer realm="Gatehouse"';
  if (retryAfter !== undefined) {
    return new GraphQLError(message, {
      extensions: { code: 'RATE_LIMITED', retryAfter, http: { status: 429, headers: { 'Retry-After': String(retryAfter) } } },
    });
  }
  return new GraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'WWW-Authenticate': challenge } } },
  });
}
