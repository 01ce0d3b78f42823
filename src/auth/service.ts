// Signing in and out. A login costs one argon2 verification whatever the outcome, and its
// answers do not reveal whether an email is registered.
import type { RequestScope } from '../context.ts';
import { AccountDisabledError, EmailNotConfirmedError, InvalidCredentialsError } from '../errors.ts';
import { User } from '../accounts/entities.ts';
import { emailKey } from '../accounts/email.ts';
import { hashPassword, needsRehash, verifyPassword } from '../accounts/passwords.ts';
import { createSession, revokeSession, type IssuedSession } from '../sessions/service.ts';

export interface LoginResult extends IssuedSession {
  user: User;
}

/** Checks email + password (throttled) and returns the user, or throws a typed failure. */
export async function verifyCredentials(scope: RequestScope, email: string, password: string): Promise<User> {
  const { em, services } = scope;
  const key = emailKey(email);
  services.throttle.assertLoginAllowed(key, scope.ip);
  const user = await em.findOne(User, { emailKey: key }, { populate: ['passwordHash'] });
  if (!(await verifyPassword(user?.passwordHash, password)) || !user) {
    services.throttle.recordLoginFailure(key, scope.ip);
    services.logger.info({ requestId: scope.requestId, ip: scope.ip }, 'login failed');
    throw new InvalidCredentialsError();
  }
  services.throttle.recordLoginSuccess(key, scope.ip);
  // Status is revealed only to someone who knows the password.
  if (user.disabled) throw new AccountDisabledError();
  if (services.config.requireEmailConfirmation && !user.emailConfirmedAt) throw new EmailNotConfirmedError();
  if (needsRehash(user.passwordHash!)) {
    user.passwordHash = await hashPassword(password);
    await em.flush();
  }
  return user;
}

export async function login(scope: RequestScope, email: string, password: string): Promise<LoginResult> {
  scope.services.throttle.consumeIpBudget(scope.ip);
  const user = await verifyCredentials(scope, email, password);
  const issued = await createSession(
    { em: scope.em, config: scope.services.config, clock: scope.services.clock },
    user,
    { ip: scope.ip, userAgent: scope.userAgent },
  );
  scope.services.logger.info({ requestId: scope.requestId, userId: user.id }, 'login succeeded');
  return { ...issued, user };
}

/** Ends the session this request was made with. False when the request had none. */
export async function logout(scope: RequestScope): Promise<boolean> {
  const credential = scope.credential;
  if (!credential || !scope.viewer) return false;
  return revokeSession(scope.em, scope.viewer.id, credential.session.id);
}
