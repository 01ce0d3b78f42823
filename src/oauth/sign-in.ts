// The callback: from the provider's answer to a signed-in user or a linked identity. The rules,
// in order: an identity already linked (by provider + subject, never by email) signs its user in;
// else a provider-verified email of a confirmed account links to it; else a new account is made,
// confirmed when the provider verified the email, otherwise it must confirm it by mail.
import { isBanned } from '../accounts/lockout.ts';
import { adminExists } from '../accounts/last-admin.ts';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { RequestScope } from '../context.ts';
import { User } from '../accounts/entities.ts';
import { checkEmail, emailKey, normalizeEmail } from '../util/email.ts';
import { normalizeProfile } from '../accounts/profile.ts';
import { sendConfirmation } from '../accounts/service.ts';
import { defaultRole } from '../access/sync.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { AUDIT_ACTIONS, recordAudit } from '../audit/service.ts';
import type { IssuedSession } from '../sessions/service.ts';
import { startSession } from '../auth/service.ts';
import { issueLoginChallenge, secondFactorsOf } from '../mfa/service.ts';
import { OAuthAccount, type OAuthFlow } from './entities.ts';
import { OAuthFlowError } from './errors.ts';
import { issueLoginCode, takeFlow } from './flows.ts';
import { withParams } from '../util/redirects.ts';
import { callbackUri } from './urls.ts';
import { ProviderFailure, type OAuthProviderClient, type ProviderIdentity } from './providers/types.ts';

export const OAUTH_AUDIT_ACTIONS = { link: 'oauth.link', linkFailed: 'oauth.link_failed', unlink: 'oauth.unlink' } as const;

export interface CallbackInput {
  provider: string;
  query: URLSearchParams;
  /** The secret of the browser-binding cookie, if the browser sent one. */
  bindingSecret: string | null;
  /** The user of the browser's session cookie, if any: a link flow must be finished by that user. */
  browserUserId: string | null;
}

export interface CallbackOutcome {
  /** Where the browser goes next (on the allow-list, or the default). */
  target: string;
  /** A new session for the cookie (sign-ins in cookie mode). */
  session?: IssuedSession;
}

/** Handles GET /auth/oauth/<provider>/callback. Failures are OAuthFlowErrors carrying the flow's target. */
export async function finishOAuthCallback(scope: RequestScope, input: CallbackInput): Promise<CallbackOutcome> {
  const { services } = scope;
  await services.throttle.consumeIpBudget(scope.ip);
  const provider = services.oauth.get(input.provider);
  if (!provider) throw new OAuthFlowError('unknown_provider');
  const flow = await takeFlow(scope.em, services.clock, provider.id, input.query.get('state'), input.bindingSecret);
  const attempt: { identity: ProviderIdentity | null } = { identity: null };
  try {
    return await finishFlow(scope, provider, flow, input, attempt);
  } catch (error) {
    const failure = error instanceof OAuthFlowError ? error : new OAuthFlowError('server_error');
    if (failure.code === 'server_error') services.logger.error({ err: error, requestId: scope.requestId, provider: provider.id }, 'OAuth callback failed');
    await auditFailure(scope, provider.id, flow, failure.code, attempt.identity);
    throw new OAuthFlowError(failure.code, flow.redirectTo);
  }
}

async function finishFlow(
  scope: RequestScope,
  provider: OAuthProviderClient,
  flow: OAuthFlow,
  input: CallbackInput,
  attempt: { identity: ProviderIdentity | null },
): Promise<CallbackOutcome> {
  const providerError = input.query.get('error');
  if (providerError !== null) throw new OAuthFlowError(providerError === 'access_denied' ? 'access_denied' : 'provider_error');
  const identity = await identify(scope, provider, flow, input.query);
  attempt.identity = identity;
  if (flow.mode === 'link') return linkToSignedInUser(scope, provider, flow, identity, input.browserUserId);
  const user = await signInWithRetry(scope, provider, identity);
  if (flow.mode === 'code') {
    // Code flows always carry the app's challenge (startOAuthLogin requires it).
    const code = await issueLoginCode(scope.em, scope.services.clock, user, provider.id, flow.appChallenge!);
    return { target: withParams(flow.redirectTo, { login_code: code }) };
  }
  // An account with a second factor: no session yet; the app finishes with verifySecondFactor.
  const factors = await secondFactorsOf(scope, user.id);
  if (factors.length) {
    const { challenge } = await issueLoginChallenge(scope, user, `oauth:${provider.id}`, factors);
    return { target: withParams(flow.redirectTo, { second_factor: challenge }) };
  }
  const { session, token } = await startSession(scope, user, { method: `oauth:${provider.id}`, details: { method: 'oauth', provider: provider.id } });
  return { target: flow.redirectTo, session: { session, token } };
}

async function identify(scope: RequestScope, provider: OAuthProviderClient, flow: OAuthFlow, query: URLSearchParams): Promise<ProviderIdentity> {
  const redirectUri = callbackUri(scope.services.config, provider.id);
  const callbackUrl = new URL(redirectUri);
  callbackUrl.search = query.toString();
  try {
    return await provider.identify(callbackUrl, { state: query.get('state')!, codeVerifier: flow.codeVerifier, nonce: flow.nonce, redirectUri });
  } catch (error) {
    if (!(error instanceof ProviderFailure)) throw error;
    scope.services.logger.warn({ err: error, requestId: scope.requestId, provider: provider.id }, 'OAuth code exchange failed');
    throw new OAuthFlowError(error.kind === 'unavailable' ? 'provider_unavailable' : 'exchange_failed');
  }
}

/** Two callbacks may race (the same identity, or an email registered meanwhile): the unique indexes decide, then the rules run again. */
async function signInWithRetry(scope: RequestScope, provider: OAuthProviderClient, identity: ProviderIdentity): Promise<User> {
  try {
    return await signIn(scope, provider, identity);
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    scope.em.clear();
    return signIn(scope, provider, identity);
  }
}

async function signIn(scope: RequestScope, provider: OAuthProviderClient, identity: ProviderIdentity): Promise<User> {
  const { em, services } = scope;
  const linked = await em.findOne(OAuthAccount, { provider: provider.id, subject: identity.subject }, { populate: ['user'] });
  if (linked) return signInLinked(scope, linked, identity);
  const email = usableEmail(identity.email);
  if (!email) throw new OAuthFlowError('email_required');
  const existing = await em.findOne(User, { emailKey: emailKey(email) });
  if (existing) {
    // Linking by email is only as safe as the provider's word that the address is its user's.
    if (!identity.emailVerified) throw new OAuthFlowError('account_exists');
    // The local account may have been registered by someone else who never proved the address.
    if (!existing.emailConfirmedAt) throw new OAuthFlowError('account_not_confirmed');
    await assertMaySignIn(scope, existing);
    if (await em.count(OAuthAccount, { user: existing.id, provider: provider.id })) throw new OAuthFlowError('provider_already_linked');
    await addLinkedAccount(scope, existing, provider, identity, 'email');
    return existing;
  }
  if (services.maintenance.current.enabled) throw new OAuthFlowError('maintenance_mode');
  if (!services.config.allowRegistrationBeforeSetup && !(await adminExists(em))) throw new OAuthFlowError('setup_required');
  const user = await createAccount(scope, provider, identity, email);
  if (!user.emailConfirmedAt && services.config.requireEmailConfirmation) throw new OAuthFlowError('email_not_confirmed');
  return user;
}

async function signInLinked(scope: RequestScope, linked: OAuthAccount, identity: ProviderIdentity): Promise<User> {
  const { em, services } = scope;
  const user = linked.user;
  await assertMaySignIn(scope, user);
  const now = services.clock.now();
  // The provider now vouches for the very address of the account: that proves the mailbox, as the link would.
  if (!user.emailConfirmedAt && identity.emailVerified && identity.email && emailKey(identity.email) === user.emailKey) {
    user.emailConfirmedAt = now;
  }
  Object.assign(linked, { login: identity.login, email: identity.email, lastUsedAt: now });
  await em.flush();
  if (!user.emailConfirmedAt && services.config.requireEmailConfirmation) throw new OAuthFlowError('email_not_confirmed');
  return user;
}

/** Disabled and banned accounts never sign in; during maintenance only those who may run it do. */
async function assertMaySignIn(scope: RequestScope, user: User): Promise<void> {
  if (user.disabled) throw new OAuthFlowError('account_disabled');
  if (isBanned(user, scope.services.clock.now())) throw new OAuthFlowError('account_banned');
  if (scope.services.maintenance.current.enabled && !(await scope.loadAccess(user)).can(PERMISSIONS.maintenanceWrite)) {
    throw new OAuthFlowError('maintenance_mode');
  }
}

/** The provider's email in our normal form, or null when it gave none we could use. */
function usableEmail(email: string | null): string | null {
  if (!email) return null;
  const normalized = normalizeEmail(email);
  return checkEmail(normalized) === null ? normalized : null;
}

async function addLinkedAccount(scope: RequestScope, user: User, provider: OAuthProviderClient, identity: ProviderIdentity, via: 'email' | 'signed_in'): Promise<void> {
  const now = scope.services.clock.now();
  await scope.em.transactional(async (tx) => {
    tx.create(OAuthAccount, { user: user.id, provider: provider.id, subject: identity.subject, login: identity.login, email: identity.email, linkedAt: now, lastUsedAt: now });
    await tx.flush();
    await recordAudit(
      { ...scope, em: tx, viewer: user },
      { action: OAUTH_AUDIT_ACTIONS.link, targetType: 'user', targetId: user.id, details: { provider: provider.id, subject: identity.subject, login: identity.login, via } },
    );
  });
}

async function createAccount(scope: RequestScope, provider: OAuthProviderClient, identity: ProviderIdentity, email: string): Promise<User> {
  const { services } = scope;
  const now = services.clock.now();
  // Profile hints from the provider are kept only when they pass our own rules.
  const { values: profile } = normalizeProfile({ displayName: identity.name ?? identity.login, avatarUrl: identity.avatarUrl });
  const userId = await scope.em.transactional(async (tx) => {
    const user = tx.create(User, {
      email,
      emailKey: emailKey(email),
      passwordHash: null,
      emailConfirmedAt: identity.emailVerified ? now : null,
      ...profile,
      roles: [await defaultRole(tx)],
      createdAt: now,
      updatedAt: now,
    });
    tx.create(OAuthAccount, { user, provider: provider.id, subject: identity.subject, login: identity.login, email: identity.email, linkedAt: now, lastUsedAt: now });
    await tx.flush();
    await recordAudit(
      { ...scope, em: tx, viewer: user },
      { action: AUDIT_ACTIONS.register, targetType: 'user', targetId: user.id, details: { method: 'oauth', provider: provider.id, emailVerified: identity.emailVerified } },
    );
    return user.id;
  });
  const user = await scope.em.findOneOrFail(User, { id: userId });
  services.logger.info({ userId, requestId: scope.requestId, provider: provider.id }, 'user registered through OAuth');
  if (!user.emailConfirmedAt) await sendConfirmation(scope, user);
  return user;
}

/** A link flow adds the identity to the account that started it, finished in a browser signed in as that account. */
async function linkToSignedInUser(
  scope: RequestScope,
  provider: OAuthProviderClient,
  flow: OAuthFlow,
  identity: ProviderIdentity,
  browserUserId: string | null,
): Promise<CallbackOutcome> {
  const user = flow.linkUser;
  // Someone else's link URL opened in a victim's browser must not tie the victim's identity to the other account.
  if (!user || browserUserId !== user.id) throw new OAuthFlowError('link_session_required');
  await assertMaySignIn(scope, user);
  const existing = await scope.em.findOne(OAuthAccount, { provider: provider.id, subject: identity.subject });
  if (existing && existing.user.id !== user.id) throw new OAuthFlowError('identity_in_use');
  if (!existing) {
    if (await scope.em.count(OAuthAccount, { user: user.id, provider: provider.id })) throw new OAuthFlowError('provider_already_linked');
    try {
      await addLinkedAccount(scope, user, provider, identity, 'signed_in');
    } catch (error) {
      // Linked to someone else by a concurrent callback.
      if (error instanceof UniqueConstraintViolationException) throw new OAuthFlowError('identity_in_use');
      throw error;
    }
  }
  return { target: withParams(flow.redirectTo, { linked: provider.id }) };
}

async function auditFailure(scope: RequestScope, provider: string, flow: OAuthFlow, reason: string, identity: ProviderIdentity | null): Promise<void> {
  const details = { method: 'oauth', provider, reason, ...(identity ? { subject: identity.subject } : {}) };
  if (flow.mode === 'link' && flow.linkUser) {
    await recordAudit({ ...scope, viewer: flow.linkUser }, { action: OAUTH_AUDIT_ACTIONS.linkFailed, targetType: 'user', targetId: flow.linkUser.id, details });
    return;
  }
  scope.services.metrics.recordLogin('failure', `oauth:${provider}`, reason);
  const actorEmail = identity?.email?.slice(0, 320);
  await recordAudit({ ...scope, viewer: null }, { action: AUDIT_ACTIONS.loginFailed, ...(actorEmail ? { actorEmail } : {}), details });
}
