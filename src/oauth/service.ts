// OAuth sign-in as the API offers it: the providers, starting a sign-in or a link (a start URL on
// Gatehouse that binds the flow to the browser opening it), redeeming a one-time login code, and
// listing and unlinking linked identities. The callback itself is in sign-in.ts.
import { lockoutError } from '../accounts/lockout.ts';
import type { RequestScope } from '../context.ts';
import { forbidden, unauthenticated, ValidationFailedError } from '../errors.ts';
import { User } from '../accounts/entities.ts';
import { recordAudit } from '../audit/service.ts';
import { requireNoSecondFactor, startSession, type LoginResult } from '../auth/service.ts';
import { OAuthAccount, type OAuthFlowMode } from './entities.ts';
import { Passkey } from '../passkeys/entities.ts';
import { LastSignInMethodError, OAuthFlowError } from './errors.ts';
import { CHALLENGE_SHAPE, createFlow, openFlow, redeemLoginCode } from './flows.ts';
import { allowedRedirect } from '../util/redirects.ts';
import { OAUTH_AUDIT_ACTIONS } from './sign-in.ts';
import { callbackUri, defaultTarget, startUrl } from './urls.ts';
import { ProviderFailure, type OAuthProviderClient } from './providers/types.ts';

export interface StartedFlow {
  /** Open this in the browser: it goes on to the provider. Works once, until `expiresAt`. */
  url: string;
  expiresAt: Date;
  /** Where the browser will be sent at the end (the redirectTo asked for, or the default). */
  redirectTo: string;
}

export type SignInMode = Exclude<OAuthFlowMode, 'link'>;

export function listProviders(scope: Pick<RequestScope, 'services'>): Array<{ id: string; name: string }> {
  return scope.services.oauth.list().map(({ id, name }) => ({ id, name }));
}

function requireProvider(scope: RequestScope, id: string): OAuthProviderClient {
  const provider = scope.services.oauth.get(id);
  if (!provider) {
    const known = scope.services.oauth.list().map((p) => p.id).join(', ') || 'none';
    throw ValidationFailedError.field('provider', `Unknown or unconfigured provider. Configured: ${known}.`);
  }
  return provider;
}

/** The allowed redirectTo, else the default; a code must go to an app, so code mode needs one of them configured. */
function flowTarget(scope: RequestScope, redirectTo: string | null | undefined, mode: OAuthFlowMode): string {
  const { config } = scope.services;
  const allowed = redirectTo ? allowedRedirect(redirectTo, config.oauth.redirectAllowlist) : null;
  if (allowed) return allowed;
  if (redirectTo) scope.services.logger.info({ requestId: scope.requestId }, 'OAuth redirectTo not on the allow-list; using the default');
  if (mode === 'code' && !config.oauth.defaultRedirect) {
    throw ValidationFailedError.field('redirectTo', 'A sign-in that returns a one-time code needs a redirectTo on OAUTH_REDIRECT_ALLOWLIST.');
  }
  return defaultTarget(config);
}

/** Starts a sign-in. `cookie`: the callback sets the session cookie; `code`: it hands the app a one-time code. */
export async function startOAuthLogin(
  scope: RequestScope,
  providerId: string,
  redirectTo: string | null | undefined,
  mode: SignInMode,
  codeChallenge?: string | null,
): Promise<StartedFlow> {
  await scope.services.throttle.consumeIpBudget(scope.ip);
  const provider = requireProvider(scope, providerId);
  const target = flowTarget(scope, redirectTo, mode);
  const appChallenge = checkedAppChallenge(mode, codeChallenge);
  const { startToken, expiresAt } = await createFlow(scope.em, scope.services.clock, { provider: provider.id, mode, redirectTo: target, appChallenge });
  return { url: startUrl(scope.services.config, provider.id, startToken), expiresAt, redirectTo: target };
}

/** CODE mode needs the app's S256 challenge (the code is redeemable only with its verifier); cookie mode takes none. */
function checkedAppChallenge(mode: SignInMode, codeChallenge: string | null | undefined): string | undefined {
  if (mode === 'cookie') {
    if (codeChallenge != null) throw ValidationFailedError.field('codeChallenge', 'Only a CODE-mode sign-in takes a codeChallenge.');
    return undefined;
  }
  if (codeChallenge == null || !CHALLENGE_SHAPE.test(codeChallenge)) {
    throw ValidationFailedError.field('codeChallenge', 'A CODE-mode sign-in needs codeChallenge: base64url(SHA-256(a random verifier of 43–128 characters)), as in PKCE (RFC 7636, S256).');
  }
  return codeChallenge;
}

/** Starts linking a provider to the signed-in viewer; finished in a browser signed in as the viewer. */
export async function linkOAuthAccount(scope: RequestScope, providerId: string, redirectTo: string | null | undefined): Promise<StartedFlow> {
  const viewer = scope.viewer;
  if (!viewer) throw unauthenticated();
  // A new way into the account is not something a script's access token may add.
  if (scope.credential?.kind === 'token') throw forbidden('Link sign-in providers while signed in with a session, not with an access token.');
  const provider = requireProvider(scope, providerId);
  if (await scope.em.count(OAuthAccount, { user: viewer.id, provider: provider.id })) {
    throw ValidationFailedError.field('provider', `A ${provider.name} account is already linked. Unlink it first.`);
  }
  const target = flowTarget(scope, redirectTo, 'link');
  const { startToken, expiresAt } = await createFlow(scope.em, scope.services.clock, { provider: provider.id, mode: 'link', redirectTo: target, linkUserId: viewer.id });
  return { url: startUrl(scope.services.config, provider.id, startToken), expiresAt, redirectTo: target };
}

/** GET /auth/oauth/<provider>/start: binds the flow to this browser; returns the provider's authorization URL. */
export async function openOAuthFlow(scope: RequestScope, providerId: string, startToken: string | null, bindingSecret: string): Promise<string> {
  const provider = scope.services.oauth.get(providerId);
  if (!provider) throw new OAuthFlowError('unknown_provider');
  const { flow, state } = await openFlow(scope.em, scope.services.clock, provider.id, startToken, bindingSecret);
  try {
    const redirectUri = callbackUri(scope.services.config, provider.id);
    return (await provider.authorizationUrl({ state, codeVerifier: flow.codeVerifier, nonce: flow.nonce, redirectUri })).href;
  } catch (error) {
    if (!(error instanceof ProviderFailure)) throw error;
    scope.services.logger.warn({ err: error, requestId: scope.requestId, provider: provider.id }, 'OAuth provider unavailable');
    throw new OAuthFlowError('provider_unavailable', flow.redirectTo);
  }
}

/** Redeems the one-time code a non-browser sign-in ended with, for a session. */
export async function completeOAuthLogin(scope: RequestScope, code: string, codeVerifier: string): Promise<LoginResult> {
  const { em, services } = scope;
  await services.throttle.consumeIpBudget(scope.ip);
  const { user, provider } = await redeemLoginCode(em, services.clock, code, codeVerifier);
  const locked = lockoutError(user, services.clock.now());
  if (locked) throw locked;
  await requireNoSecondFactor(scope, user, `oauth:${provider}`);
  return startSession(scope, user, { method: `oauth:${provider}`, details: { method: 'oauth', provider } });
}

export async function listLinkedAccounts(scope: Pick<RequestScope, 'em'>, userId: string): Promise<OAuthAccount[]> {
  return scope.em.find(OAuthAccount, { user: userId }, { orderBy: { linkedAt: 'asc', id: 'asc' } });
}

export async function hasPassword(scope: Pick<RequestScope, 'em'>, user: User): Promise<boolean> {
  await scope.em.populate(user, ['passwordHash']);
  return !!user.passwordHash;
}

/** Unlinks the viewer's identity at a provider, unless it is their only way to sign in. */
export async function unlinkOAuthAccount(scope: RequestScope, providerId: string): Promise<User> {
  const viewer = scope.viewer;
  if (!viewer) throw unauthenticated();
  const name = scope.services.oauth.get(providerId)?.name ?? providerId;
  await scope.em.transactional(async (tx) => {
    const account = await tx.findOne(OAuthAccount, { user: viewer.id, provider: providerId });
    if (!account) throw ValidationFailedError.field('provider', `No ${name} account is linked.`);
    const others = await tx.count(OAuthAccount, { user: viewer.id, id: { $ne: account.id } });
    const user = await tx.findOneOrFail(User, { id: viewer.id }, { populate: ['passwordHash'] });
    // A passkey signs in on its own (passwordless), so it keeps the account reachable too.
    if (!user.passwordHash && others === 0 && (await tx.count(Passkey, { user: viewer.id })) === 0) throw new LastSignInMethodError(name);
    await tx.nativeDelete(OAuthAccount, { id: account.id });
    await recordAudit(
      { ...scope, em: tx },
      { action: OAUTH_AUDIT_ACTIONS.unlink, targetType: 'user', targetId: viewer.id, details: { provider: providerId, subject: account.subject, login: account.login } },
    );
  });
  return viewer;
}
