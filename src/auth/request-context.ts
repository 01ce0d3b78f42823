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
import { organizationAccessLoader } from '../organizations/access.ts';

export type ContextBuilder = (request: Request, server: ServerContext, target?: object) => Promise<Omit<Context, 'request'>>;

/**
 * What the authenticators get: `services`, and the request's EntityManager forked on first use
 * (a request without credentials never forks one). A class of its own, so reading `em` is a
 * plain prototype getter rather than an accessor defined on every context.
 */
class AuthenticatorDeps {
  readonly services: Services;
  forked: EntityManager | undefined = undefined;
  constructor(services: Services) {
    this.services = services;
  }
  get em(): EntityManager {
    // services.orm is read at this use: a restore swaps it (src/database/swap.ts).
    return (this.forked ??= this.services.orm.em.fork());
  }
}

export function createContextBuilder(services: Services, authenticators: AuthenticatorRegistry): ContextBuilder {
  const { config } = services;

  /** Forks of contexts whose authenticator forked none, made by their `em` getter on first use. */
  const lateForks = new WeakMap<object, EntityManager>();
  /**
   * The `em` of a context whose authenticators forked nothing (anonymous), forked on first use: an
   * anonymous request that reads no data forks none. One getter serves every such context.
   */
  function requestEntityManager(this: object): EntityManager {
    let em = lateForks.get(this);
    if (!em) lateForks.set(this, (em = services.orm.em.fork()));
    return em;
  }
  /** One descriptor for every context (defineProperties with fresh descriptors cost ≈ 5 µs a request). */
  const lazyEntityManager: PropertyDescriptor = { get: requestEntityManager, enumerable: true, configurable: true };

  /**
   * The context of one operation, built onto `target`: its `em` is the fork the authenticators
   * made, or an enumerable getter that forks on first use.
   */
  return async function buildContext(request, server, target = {}) {
    const context = target as Context;
    context.services = services;
    const deps = new AuthenticatorDeps(services);
    const outcome = await authenticators.authenticate({ headers: request.headers, ip: server.ip }, deps);
    if (deps.forked) Object.defineProperty(context, 'em', { value: deps.forked, enumerable: true, configurable: true, writable: false });
    else Object.defineProperty(context, 'em', lazyEntityManager);
    if (outcome.kind === 'invalid') throw authenticationFailure(config, outcome.message, outcome.retryAfter);
    // The basic backend has no anonymous requests: no credentials gets the browser's login dialog.
    if (outcome.kind === 'none' && config.authBackend === 'basic') throw authenticationFailure(config, 'Sign in with HTTP Basic.');
    if (outcome.kind === 'stale-cookie') server.responseCookies.push(clearedSessionCookie(config));
    const authenticated = outcome.kind === 'authenticated';
    const credential = authenticated ? outcome.credential : null;
    // A token limited to an organization holds no global permission but those it lists.
    const restriction =
      credential?.kind === 'token' && (credential.token.permissions || credential.token.organizationId)
        ? { userId: credential.token.user.id, permissions: credential.token.permissions ?? [] }
        : undefined;
    // Assigned, never spread: spreading would call the `em` getter.
    context.viewer = authenticated ? outcome.user : null;
    context.credential = credential;
    const session = credential?.kind === 'session' ? credential.session : null;
    const impersonator = session?.impersonation?.by;
    context.impersonator = impersonator ? { id: impersonator.id, email: impersonator.email, userId: session!.user.id } : null;
    context.ip = server.ip;
    context.userAgent = request.headers.get('user-agent');
    context.requestId = server.requestId;
    context.responseCookies = server.responseCookies;
    context.loadAccess = accessLoader(() => context.em, restriction);
    context.loadOrganizationAccess = organizationAccessLoader(context, services.organizationRoles);
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
