// Signing in and out. A login costs one argon2 verification whatever the outcome, and its
// answers do not reveal whether an email is registered.
import { lockoutError } from '../accounts/lockout.ts';
import type { RequestScope } from '../context.ts';
import { publishRevoked } from '../realtime/pubsub.ts';
import { DomainError, EmailNotConfirmedError, InvalidCredentialsError, ValidationFailedError, type FieldProblem } from '../errors.ts';
import { User } from '../accounts/entities.ts';
import { findUserByEmail } from '../accounts/service.ts';
import { emailKey } from '../util/email.ts';
import { hashPassword, needsRehash, verifyPassword } from '../accounts/passwords.ts';
import { createSession, currentSessionId, revokeSession, type IssuedSession } from '../sessions/service.ts';
import { AUDIT_ACTIONS, recordAudit } from '../audit/service.ts';
import { redactAccessTokens } from '../tokens/service.ts';
import { completeLoginChallenge, issueLoginChallenge, secondFactorsOf, type SecondFactorAnswer } from '../mfa/service.ts';
import { SecondFactorRequiredError } from '../mfa/errors.ts';
import { noteSignInDevice } from './sign-in-notices.ts';

export interface LoginResult extends IssuedSession {
  user: User;
}

/** Longer than any stored address (the column's size) or any password the policy accepts. */
const LOGIN_EMAIL_MAX = 320;
const LOGIN_PASSWORD_MAX = 1024;

/**
 * Values no account can have are a mistake in the request, not a wrong guess: a validation error
 * naming the field (before any lookup, throttle or hashing work, so they cost nothing and reveal nothing).
 */
function assertPlausibleCredentials(email: string, password: string): void {
  const problems: FieldProblem[] = [];
  if (email.length > LOGIN_EMAIL_MAX) problems.push({ field: 'email', messages: [`Use at most ${LOGIN_EMAIL_MAX} characters.`] });
  if (password.length > LOGIN_PASSWORD_MAX) problems.push({ field: 'password', messages: [`Use at most ${LOGIN_PASSWORD_MAX} characters.`] });
  if (problems.length) throw new ValidationFailedError(problems);
}

/** Checks email + password (throttled) and returns the user, or throws a typed failure. */
export async function verifyCredentials(scope: RequestScope, email: string, password: string): Promise<User> {
  const { em, services } = scope;
  assertPlausibleCredentials(email, password);
  const key = emailKey(email);
  await services.throttle.assertLoginAllowed(key, scope.ip);
  const user = await findUserByEmail(scope, email);
  if (!(await verifyPassword(user?.passwordHash, password)) || !user) {
    const throttled = await services.throttle.recordLoginFailure(key, scope.ip);
    services.logger.info({ requestId: scope.requestId, ip: scope.ip }, 'login failed');
    // Recorded whether or not the account exists, so the answer takes the same time either way.
    await auditLoginFailure(scope, email, user, 'invalid_credentials', throttled);
    throw new InvalidCredentialsError();
  }
  await services.throttle.recordLoginSuccess(key, scope.ip);
  // Status is revealed only to someone who knows the password.
  const locked = lockoutError(user, services.clock.now());
  if (locked) {
    await auditLoginFailure(scope, email, user, locked.code === 'ACCOUNT_BANNED' ? 'account_banned' : 'account_disabled');
    throw locked;
  }
  if (services.config.requireEmailConfirmation && !user.emailConfirmedAt) {
    await auditLoginFailure(scope, email, user, 'email_not_confirmed');
    throw new EmailNotConfirmedError();
  }
  if (needsRehash(user.passwordHash!)) {
    user.passwordHash = await hashPassword(password);
    await em.flush();
  }
  return user;
}

/**
 * Email + password. An account with a second factor gets no session yet: SecondFactorRequiredError
 * carries the challenge that `verifySecondFactor` finishes.
 */
export async function login(scope: RequestScope, email: string, password: string): Promise<LoginResult> {
  await scope.services.throttle.consumeIpBudget(scope.ip);
  const user = await verifyCredentials(scope, email, password);
  await requireNoSecondFactor(scope, user, 'password');
  return startSession(scope, user, { method: 'password' });
}

/** Throws SecondFactorRequiredError (with a new challenge) when the account has a second factor. */
export async function requireNoSecondFactor(scope: RequestScope, user: User, method: string): Promise<void> {
  const factors = await secondFactorsOf(scope, user.id);
  if (factors.length) throw new SecondFactorRequiredError(await issueLoginChallenge(scope, user, method, factors));
}

/** The second step of a sign-in: a TOTP or recovery code for the challenge `login` answered. */
export async function verifySecondFactor(scope: RequestScope, challenge: string, answer: SecondFactorAnswer): Promise<LoginResult> {
  await scope.services.throttle.consumeIpBudget(scope.ip);
  const secondFactor = answer.totp != null ? 'totp' : answer.passkey ? 'passkey' : 'recovery_code';
  let completed: Awaited<ReturnType<typeof completeLoginChallenge>>;
  try {
    completed = await completeLoginChallenge(scope, challenge, answer);
  } catch (error) {
    // A failed second step is a failed sign-in to dashboards too (a wrong code, a used or expired
    // challenge, a refused passkey); a malformed input is not an attempt.
    if (error instanceof DomainError && !(error instanceof ValidationFailedError)) {
      scope.services.metrics.recordLogin('failure', `second_factor:${secondFactor}`, error.code.toLowerCase());
    }
    throw error;
  }
  return startSession(scope, completed.user, { method: completed.method, secondFactor });
}

export interface SignInHow {
  /** `password`, `passkey`, `oauth:<provider>`… */
  method: string;
  secondFactor?: string;
  /** The audit event's details, when they say more than the second factor used. */
  details?: Record<string, unknown>;
}

/**
 * A session for a user who has proved who they are, however they did (password, second factor,
 * passkey, OAuth): every sign-in comes here. Audited as `auth.login`; a new device is told to the owner.
 */
export async function startSession(scope: RequestScope, user: User, how: SignInHow): Promise<LoginResult> {
  const issued = await createSession(
    { em: scope.em, config: scope.services.config, clock: scope.services.clock },
    user,
    { ip: scope.ip, userAgent: scope.userAgent },
  );
  scope.services.logger.info({ requestId: scope.requestId, userId: user.id, method: how.method }, 'login succeeded');
  scope.services.metrics.recordLogin('success', how.method);
  const details = how.details ?? (how.secondFactor ? { method: how.method, secondFactor: how.secondFactor } : null);
  await recordAudit({ ...scope, viewer: user }, { action: AUDIT_ACTIONS.login, targetType: 'user', targetId: user.id, ...(details ? { details } : {}) });
  await noteSignInDevice(scope, user);
  return { ...issued, user };
}

/** Ends the session this request was made with. False when the request had none. */
export async function logout(scope: RequestScope): Promise<boolean> {
  const sessionId = currentSessionId(scope);
  if (!sessionId || !scope.viewer) return false;
  const ended = await revokeSession(scope.em, scope.viewer.id, sessionId);
  if (ended) {
    await recordAudit(scope, { action: AUDIT_ACTIONS.logout, targetType: 'user', targetId: scope.viewer.id });
    publishRevoked(scope.services, { userId: scope.viewer.id, reason: 'LOGOUT', sessionIds: [sessionId] });
  }
  return ended;
}

/** The actor is anonymous (nobody proved who they are); the email tried is kept, the password never. */
async function auditLoginFailure(scope: RequestScope, email: string, user: User | null, reason: string, throttled = false): Promise<void> {
  scope.services.metrics.recordLogin('failure', 'password', reason);
  // A token pasted as the email (or sent as the Basic user name) is not kept readable.
  const tried = redactAccessTokens(email).slice(0, 320);
  await recordAudit(
    { ...scope, viewer: null },
    { action: AUDIT_ACTIONS.loginFailed, actorEmail: tried, targetType: user ? 'user' : undefined, targetId: user?.id, details: { email: tried, reason, ...(throttled ? { throttled } : {}) } },
  );
}
