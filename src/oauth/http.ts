// The browser side of OAuth sign-in:
//   GET /auth/oauth/<provider>/start?flow=…   binds the flow to this browser (cookie) and goes to the provider;
//   GET /auth/oauth/<provider>/callback       the provider comes back here; session cookie, then the app;
//   GET /auth/oauth/done                      a small result page when no app URL was given.
// Every ending is a 303 to the flow's target (or the default), with `error=<code>` on failure: never a 500.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { Config } from '../config/index.ts';
import type { RequestScope, Services } from '../context.ts';
import { AccessError } from '../errors.ts';
import { accessLoader } from '../accounts/roles.ts';
import { errorPage, page } from '../http/pages.ts';
import { requestUrl } from '../http/request-checks.ts';
import { readSessionCookie } from '../http/session-cookies.ts';
import { findSessionByToken, issuedSessionCookie } from '../sessions/service.ts';
import { generateToken } from '../util/secrets.ts';
import { escapeHtml } from '../util/html.ts';
import { isOAuthErrorCode, OAUTH_ERROR_MESSAGES, OAuthFlowError } from './errors.ts';
import { FLOW_TTL_MS, looksLikeToken } from './flows.ts';
import { withParams } from '../util/redirects.ts';
import { openOAuthFlow } from './service.ts';
import { finishOAuthCallback } from './sign-in.ts';
import { defaultTarget, OAUTH_PATH } from './urls.ts';

interface OAuthRouteDeps {
  services: Services;
  ip: string;
  requestId: string;
}

const ROUTE = /^\/auth\/oauth\/([a-z0-9]{1,32})\/(start|callback)$/;

/** Serves the OAuth routes; false when the path is not one of them. */
export async function handleOAuthRoute(req: IncomingMessage, res: ServerResponse, deps: OAuthRouteDeps): Promise<boolean> {
  const url = requestUrl(req);
  if (!url) return false;
  const match = ROUTE.exec(url.pathname);
  if (!match && url.pathname !== `${OAUTH_PATH}/done`) return false;
  if (req.method !== 'GET') {
    // Not even HEAD: opening a start URL or a callback uses it up.
    res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed.');
    return true;
  }
  if (!match) {
    resultPage(res, deps.services, url.searchParams);
    return true;
  }
  const [, provider, step] = match as unknown as [string, string, 'start' | 'callback'];
  const scope = requestScope(req, deps);
  const config = deps.services.config;
  try {
    if (step === 'start') await start(req, res, scope, provider, url.searchParams);
    else await callback(req, res, scope, provider, url.searchParams);
  } catch (error) {
    const failure = toFlowError(error);
    if (failure.code === 'server_error') deps.services.logger.error({ err: error, requestId: deps.requestId }, 'OAuth route failed');
    redirect(res, withParams(failure.target ?? defaultTarget(config), { error: failure.code, error_description: failure.message }));
  }
  return true;
}

async function start(req: IncomingMessage, res: ServerResponse, scope: RequestScope, provider: string, query: URLSearchParams): Promise<void> {
  const config = scope.services.config;
  // One secret per browser: flows started in two tabs share it, so each can still finish.
  const existing = readBindingCookie(config, req.headers.cookie);
  const secret = looksLikeToken(existing) ? existing : generateToken();
  const location = await openOAuthFlow(scope, provider, query.get('flow'), secret);
  redirect(res, location, [bindingCookie(config, secret)]);
}

async function callback(req: IncomingMessage, res: ServerResponse, scope: RequestScope, provider: string, query: URLSearchParams): Promise<void> {
  const { config, clock } = scope.services;
  const sessionToken = readSessionCookie(config, req.headers.cookie ?? null);
  const browserSession = sessionToken ? await findSessionByToken({ em: scope.em, config, clock }, sessionToken) : null;
  const outcome = await finishOAuthCallback(scope, {
    provider,
    query,
    bindingSecret: readBindingCookie(config, req.headers.cookie),
    browserUserId: browserSession?.user.id ?? null,
  });
  redirect(res, outcome.target, outcome.session ? [issuedSessionCookie(config, outcome.session)] : []);
}

function toFlowError(error: unknown): OAuthFlowError {
  if (error instanceof OAuthFlowError) return error;
  if (error instanceof AccessError && error.code === 'RATE_LIMITED') return new OAuthFlowError('rate_limited');
  return new OAuthFlowError('server_error');
}

function requestScope(req: IncomingMessage, deps: OAuthRouteDeps): RequestScope {
  // Read at each request: a database restore swaps services.orm.
  const em = deps.services.orm.em.fork();
  const userAgent = req.headers['user-agent'] ?? null;
  return { services: deps.services, em, viewer: null, credential: null, ip: deps.ip, userAgent, requestId: deps.requestId, loadAccess: accessLoader(em) };
}

function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
  res.writeHead(303, {
    location,
    'cache-control': 'no-store',
    // The start and callback URLs carry one-time secrets: never pass them on in a Referer.
    'referrer-policy': 'no-referrer',
    ...(cookies.length ? { 'set-cookie': cookies } : {}),
  });
  res.end();
}

const bindingCookieName = (config: Config) => `${config.session.cookieName}_oauth`;

function readBindingCookie(config: Config, header: string | undefined): string | null {
  if (!header) return null;
  try {
    return parseCookie(header)[bindingCookieName(config)] ?? null;
  } catch {
    // A malformed Cookie header carries no binding; the callback then refuses as browser_mismatch.
    return null;
  }
}

/** Sent only to the OAuth routes, for as long as a flow lives; Lax so the provider's redirect back carries it. */
function bindingCookie(config: Config, secret: string): string {
  return stringifySetCookie(bindingCookieName(config), secret, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.session.secureCookie,
    path: `${OAUTH_PATH}/`,
    maxAge: FLOW_TTL_MS / 1000,
  });
}

/** Says how a flow ended; messages come from our own catalogue, never from the query. */
function resultPage(res: ServerResponse, services: Services, query: URLSearchParams): void {
  const error = query.get('error');
  if (error !== null) {
    const message = isOAuthErrorCode(error) ? OAUTH_ERROR_MESSAGES[error] : OAUTH_ERROR_MESSAGES.server_error;
    errorPage(res, 400, 'Sign-in failed', message);
    return;
  }
  const linked = services.oauth.get(query.get('linked') ?? '');
  const graphiql = services.config.graphiql ? '<p><a href="/graphql">Open GraphiQL</a></p>' : '';
  if (linked) page(res, 200, 'Account linked', `<p>Your ${escapeHtml(linked.name)} account is linked. You can close this window.</p>${graphiql}`);
  else page(res, 200, 'Signed in', `<p>You are signed in. You can close this window.</p>${graphiql}`);
}
