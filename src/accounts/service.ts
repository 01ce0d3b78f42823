// Account rules: registration, email confirmation, profile and password changes, password reset.
// Services take a RequestScope (or its parts) and know nothing of GraphQL; the CLI calls them too.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { RequestScope, Services } from '../context.ts';
import { publishRevoked } from '../realtime/pubsub.ts';
import {
  EmailAlreadyConfirmedError,
  EmailTakenError,
  InvalidCredentialsError,
  ValidationFailedError,
  type FieldProblem,
  SetupRequiredError,
} from '../errors.ts';
import { User } from './entities.ts';
import { adminExists } from './last-admin.ts';
import { entityFromRow, findRow } from '../db/hot-queries.ts';
import { checkEmail, emailKey, normalizeEmail } from '../util/email.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { normalizeProfile, type ProfileInput } from './profile.ts';
import { consumeToken, findUsableToken, issueEmailToken, issueEmailTokenUnlessRecent } from './email-tokens.ts';
import { confirmEmailMessage, resetPasswordMessage } from '../mail/templates.ts';
import { emailLink } from '../config/index.ts';
import { checkNewPassword } from '../validation/breach.ts';
import { defaultRole } from '../access/sync.ts';
import { AUDIT_ACTIONS, recordAudit } from '../audit/service.ts';

/** At most one confirmation or reset email per account in this interval (no mail bombing). */
const EMAIL_RESEND_INTERVAL_MS = 60_000;

export interface RegisterInput extends ProfileInput {
  email: string;
  password: string;
}

/** What is wrong with a new password, on `field` (validation/breach.ts checkNewPassword), asked for the client address `scope.ip`. */
export async function passwordProblems(
  scope: { services: Pick<Services, 'breaches'>; ip: string },
  field: string,
  password: string,
  userInputs: string[],
): Promise<FieldProblem[]> {
  const strength = await checkNewPassword(scope.services.breaches, password, userInputs, scope.ip);
  return strength.acceptable ? [] : [{ field, messages: strength.issues }];
}

export function profileInputs(user: Pick<User, 'email' | 'displayName' | 'firstName' | 'lastName'>): string[] {
  return [user.email, user.displayName, user.firstName, user.lastName].filter((v): v is string => !!v);
}

/**
 * The account of an address, with its password hash. Hand-written (src/db/hot-queries.ts): every
 * login makes this lookup, and findOne rebuilds its query each time.
 */
export async function findUserByEmail({ em }: Pick<RequestScope, 'em'>, email: string): Promise<User | null> {
  const row = await findRow(em, 'select * from users where email_key = ?', [emailKey(email)]);
  return row ? entityFromRow(em, User, row) : null;
}

export async function register(scope: RequestScope, input: RegisterInput): Promise<User> {
  const { em, services } = scope;
  await services.throttle.consumeIpBudget(scope.ip);
  const email = normalizeEmail(input.email);
  const { values: profile, problems } = normalizeProfile(input);
  const emailProblem = checkEmail(email);
  if (emailProblem) problems.unshift({ field: 'email', messages: [emailProblem] });
  problems.push(...(await passwordProblems(scope, 'password', input.password, profileInputs({ email, ...profile } as User))));
  if (problems.length) throw new ValidationFailedError(problems);

  // A server nobody has claimed yet is not open to strangers (first-run setup, src/admin/setup.ts).
  if (!services.config.allowRegistrationBeforeSetup && !(await adminExists(em))) throw new SetupRequiredError();
  if (await em.findOne(User, { emailKey: emailKey(email) })) throw new EmailTakenError();
  const now = services.clock.now();
  const passwordHash = await hashPassword(input.password);
  let user: User;
  try {
    // The account and its audit event (and what listens to it: the webhook outbox) commit together.
    user = await em.transactional(async (tx) => {
      const created = tx.create(User, {
        email,
        emailKey: emailKey(email),
        passwordHash,
        emailConfirmedAt: null,
        ...profile,
        roles: [await defaultRole(tx)],
        createdAt: now,
        updatedAt: now,
      });
      await tx.flush();
      await recordAudit({ ...scope, em: tx, viewer: created }, { action: AUDIT_ACTIONS.register, targetType: 'user', targetId: created.id });
      return created;
    });
  } catch (error) {
    // Two registrations of one email raced past the check above; the unique index decides.
    if (error instanceof UniqueConstraintViolationException) throw new EmailTakenError();
    throw error;
  }
  await sendConfirmation(scope, user);
  scope.services.logger.info({ userId: user.id, requestId: scope.requestId }, 'user registered');
  return user;
}

/** Emails a new confirmation link; with `spaced`, not when one went out within the last minute. */
export async function sendConfirmation(scope: RequestScope, user: User, options: { spaced?: boolean } = {}): Promise<void> {
  const { em, services } = scope;
  const ttl = services.config.ttl.emailConfirmation;
  const token = options.spaced
    ? await issueEmailTokenUnlessRecent(em, services.clock, user, 'confirm-email', ttl, EMAIL_RESEND_INTERVAL_MS)
    : await issueEmailToken(em, services.clock, user, 'confirm-email', ttl);
  if (token === null) return;
  const link = emailLink(services.config, 'confirmEmail', token);
  const hours = Math.round(services.config.ttl.emailConfirmation / 3_600_000);
  const message = confirmEmailMessage(user.email, link, hours);
  services.background.run('send confirmation email', () => services.mailer.send(message));
}

export async function confirmEmail(scope: RequestScope, token: string): Promise<User> {
  const { em, services } = scope;
  await services.throttle.consumeIpBudget(scope.ip);
  const record = await findUsableToken(em, services.clock, token, 'confirm-email');
  const user = record.user;
  await em.transactional(async (tx) => {
    await consumeToken(tx, services.clock, record);
    if (!user.emailConfirmedAt) await tx.nativeUpdate(User, { id: user.id }, { emailConfirmedAt: services.clock.now() });
    // The token proves control of the mailbox: the account acts.
    await recordAudit({ ...scope, em: tx, viewer: user }, { action: AUDIT_ACTIONS.confirmEmail, targetType: 'user', targetId: user.id, details: { email: record.email } });
  });
  // nativeUpdate bypasses the loaded entity: reload it so the User returned shows what is stored.
  await em.refresh(user);
  return user;
}

/**
 * Sends a new confirmation link if the address belongs to an unconfirmed account. Answers the same,
 * in the same time, whatever the case: the lookup and sending happen after the response.
 */
export async function resendConfirmation(scope: RequestScope, email: string): Promise<void> {
  await scope.services.throttle.consumeIpBudget(scope.ip);
  const em = scope.em.fork();
  scope.services.background.run('resend confirmation', async () => {
    const user = await findUserByEmail({ em }, email);
    if (!user || user.disabled || user.emailConfirmedAt) return;
    await sendConfirmation({ ...scope, em }, user, { spaced: true });
  });
}

/** For a signed-in viewer: a new confirmation link for their own address. */
export async function resendViewerConfirmation(scope: RequestScope, user: User): Promise<void> {
  if (user.emailConfirmedAt) throw new EmailAlreadyConfirmedError();
  await sendConfirmation(scope, user, { spaced: true });
}

/** Like resendConfirmation: same answer and timing whether or not the account exists. */
export async function requestPasswordReset(scope: RequestScope, email: string): Promise<void> {
  const { services } = scope;
  await services.throttle.consumeIpBudget(scope.ip);
  const em = scope.em.fork();
  services.background.run('password reset email', async () => {
    const user = await findUserByEmail({ em }, email);
    if (!user || user.disabled) return;
    const token = await issueEmailTokenUnlessRecent(em, services.clock, user, 'reset-password', services.config.ttl.passwordReset, EMAIL_RESEND_INTERVAL_MS);
    // Here, after the answer: recording only matched requests must not change what the client sees.
    await recordAudit(
      { ...scope, em },
      { action: AUDIT_ACTIONS.requestPasswordReset, ...(scope.viewer ? {} : { actorEmail: normalizeEmail(email) }), targetType: 'user', targetId: user.id, details: { emailSent: token !== null } },
    );
    if (token === null) return;
    const link = emailLink(services.config, 'resetPassword', token);
    const minutes = Math.round(services.config.ttl.passwordReset / 60_000);
    await services.mailer.send(resetPasswordMessage(user.email, link, minutes));
  });
}

/** Sets a new password from an emailed token; ends every session of the user. Does not log in. */
export async function resetPassword(scope: RequestScope, token: string, newPassword: string): Promise<User> {
  const { em, services } = scope;
  await services.throttle.consumeIpBudget(scope.ip);
  const record = await findUsableToken(em, services.clock, token, 'reset-password');
  const user = record.user;
  const problems = await passwordProblems(scope, 'newPassword', newPassword, profileInputs(user));
  if (problems.length) throw new ValidationFailedError(problems);
  const passwordHash = await hashPassword(newPassword);
  await em.transactional(async (tx) => {
    await consumeToken(tx, services.clock, record);
    const now = services.clock.now();
    // Receiving the link proves the address, so a reset also confirms it.
    await tx.nativeUpdate(User, { id: user.id }, { passwordHash, updatedAt: now, credentialsChangedAt: now, emailConfirmedAt: user.emailConfirmedAt ?? now });
    await services.userSessions.revoke(tx, user.id, null);
    await recordAudit({ ...scope, em: tx, viewer: user }, { action: AUDIT_ACTIONS.resetPassword, targetType: 'user', targetId: user.id });
  });
  publishRevoked(services, { userId: user.id, reason: 'PASSWORD_CHANGED', allSessions: true });
  services.logger.info({ userId: user.id, requestId: scope.requestId }, 'password reset');
  return user;
}

/**
 * Checks a signed-in user's password again before a sensitive change, throttled like a login
 * (a stolen session must not become a way to guess the password).
 */
export async function reauthenticate(scope: RequestScope, user: User, password: string, wrongPasswordMessage: string): Promise<void> {
  const { services } = scope;
  const key = emailKey(user.email);
  await services.throttle.assertLoginAllowed(key, scope.ip);
  await scope.em.populate(user, ['passwordHash']);
  // An account made by OAuth sign-in has no password until its owner sets one through a reset link.
  if (!user.passwordHash) throw new InvalidCredentialsError('This account has no password yet. Set one with a password reset link (requestPasswordReset), then try again.');
  if (!(await verifyPassword(user.passwordHash, password))) {
    await services.throttle.recordLoginFailure(key, scope.ip);
    throw new InvalidCredentialsError(wrongPasswordMessage);
  }
  await services.throttle.recordLoginSuccess(key, scope.ip);
}

/** Changes the viewer's password after checking the current one; ends their other sessions. */
export async function changePassword(scope: RequestScope, user: User, currentPassword: string, newPassword: string): Promise<User> {
  const { em, services } = scope;
  await reauthenticate(scope, user, currentPassword, 'The current password is incorrect.');
  const problems = await passwordProblems(scope, 'newPassword', newPassword, profileInputs(user));
  if (newPassword === currentPassword) problems.push({ field: 'newPassword', messages: ['Choose a password different from the current one.'] });
  if (problems.length) throw new ValidationFailedError(problems);
  const passwordHash = await hashPassword(newPassword);
  const updatedAt = services.clock.now();
  const keep = services.userSessions.currentId(scope);
  await em.transactional(async (tx) => {
    await tx.nativeUpdate(User, { id: user.id }, { passwordHash, updatedAt, credentialsChangedAt: updatedAt });
    await services.userSessions.revoke(tx, user.id, keep);
    await recordAudit({ ...scope, em: tx, viewer: user }, { action: AUDIT_ACTIONS.changePassword, targetType: 'user', targetId: user.id });
  });
  publishRevoked(services, { userId: user.id, reason: 'PASSWORD_CHANGED', allSessions: true, exceptSessionId: keep });
  // nativeUpdate bypasses the loaded entity: reload it so the User returned (and the viewer) shows what is stored.
  await em.refresh(user);
  return user;
}

export async function updateProfile(scope: RequestScope, user: User, input: ProfileInput): Promise<User> {
  const { values, problems } = normalizeProfile(input);
  if (problems.length) throw new ValidationFailedError(problems);
  Object.assign(user, values, { updatedAt: scope.services.clock.now() });
  await scope.em.flush();
  return user;
}
