// Changing the address of an account. The request (a recent sign-in) mails a single-use link to the
// new address and a notice with a cancel link to the current one; the address changes only when
// the link from the new mailbox is used. Whether the new address belongs to another account does
// not change the answer: its link is simply never sent.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { RequestScope } from '../context.ts';
import { publishRevoked } from '../realtime/pubsub.ts';
import { EmailTakenError, forbidden, ValidationFailedError } from '../errors.ts';
import { EmailToken, User } from './entities.ts';
import { checkEmail, emailKey, maskEmail, normalizeEmail } from '../util/email.ts';
import { consumeToken, findUsableToken, issueEmailToken } from './email-tokens.ts';
import { confirmEmailChangeMessage, emailChangedMessage, emailChangeRequestedMessage } from '../mail/templates.ts';
import { emailLink } from '../config/index.ts';
import { AUDIT_ACTIONS, recordAudit } from '../audit/service.ts';

/**
 * Asks to move the viewer's account to `newEmail`. Answers (and takes) the same whether or not the
 * address is free: the lookup, the tokens and the mails happen after the response.
 */
export async function requestEmailChange(scope: RequestScope, user: User, newEmailInput: string): Promise<void> {
  const { services } = scope;
  // A script's token must not be able to move the account (and with it every reset link) elsewhere.
  if (scope.credential?.kind === 'token') throw forbidden('Change your email address while signed in, not with an access token.');
  await services.throttle.consumeIpBudget(scope.ip);
  const newEmail = normalizeEmail(newEmailInput);
  const problem = checkEmail(newEmail);
  if (problem) throw ValidationFailedError.field('newEmail', problem);
  if (emailKey(newEmail) === user.emailKey) throw ValidationFailedError.field('newEmail', 'This is already the address of your account.');
  await recordAudit(scope, { action: AUDIT_ACTIONS.requestEmailChange, targetType: 'user', targetId: user.id, details: { newEmail } });
  const sessionId = services.userSessions.currentId(scope);
  const em = scope.em.fork();
  const { clock, config } = services;
  services.background.run('email change mails', async () => {
    const owner = await em.findOneOrFail(User, { id: user.id });
    const taken = (await em.findOne(User, { emailKey: emailKey(newEmail) })) !== null;
    const ttl = config.ttl.emailConfirmation;
    const tokens = await em.transactional(async (tx) => {
      // A new request replaces a pending one, whatever its address.
      await tx.nativeDelete(EmailToken, { user: owner.id, purpose: 'change-email', usedAt: null });
      return {
        change: taken ? null : await issueEmailToken(tx, clock, owner, 'change-email', ttl, { newEmail, sessionId }),
        cancel: await issueEmailToken(tx, clock, owner, 'cancel-email-change', ttl, { newEmail }),
      };
    });
    const hours = Math.round(ttl / 3_600_000);
    // A taken address gets nothing: its owner did not ask, and the requester learns nothing.
    if (tokens.change !== null) await services.mailer.send(confirmEmailChangeMessage(newEmail, emailLink(config, 'confirmEmailChange', tokens.change), hours));
    await services.mailer.send(emailChangeRequestedMessage(owner.email, maskEmail(newEmail), emailLink(config, 'cancelEmailChange', tokens.cancel), hours));
  });
}

/**
 * Makes the change with the token mailed to the new address: the account takes the address
 * (confirmed), other pending tokens end, and every session but the one that asked (or this one) ends.
 */
export async function confirmEmailChange(scope: RequestScope, token: string): Promise<User> {
  const { em, services } = scope;
  await services.throttle.consumeIpBudget(scope.ip);
  const record = await findUsableToken(em, services.clock, token, 'change-email');
  const user = record.user;
  const from = user.email;
  const newEmail = record.newEmail!;
  // Taken since the request: the confirmer proved the mailbox, so saying so reveals nothing new.
  if (await em.findOne(User, { emailKey: emailKey(newEmail), id: { $ne: user.id } })) throw new EmailTakenError();
  const current = scope.viewer?.id === user.id ? services.userSessions.currentId(scope) : null;
  const keep = current ?? record.sessionId ?? null;
  try {
    await em.transactional(async (tx) => {
      await consumeToken(tx, services.clock, record);
      const now = services.clock.now();
      await tx.nativeUpdate(User, { id: user.id }, { email: newEmail, emailKey: emailKey(newEmail), emailConfirmedAt: now, updatedAt: now });
      // Links sent to the old address (confirmation, reset, cancel) and other pending changes end.
      await tx.nativeDelete(EmailToken, { user: user.id, usedAt: null });
      await services.userSessions.revoke(tx, user.id, keep);
      await recordAudit({ ...scope, em: tx, viewer: user }, { action: AUDIT_ACTIONS.emailChange, targetType: 'user', targetId: user.id, details: { from, to: newEmail } });
    });
  } catch (error) {
    // Another account took the address between the check and the update: the unique index decides.
    if (error instanceof UniqueConstraintViolationException) throw new EmailTakenError();
    throw error;
  }
  publishRevoked(services, { userId: user.id, reason: 'SESSION_REVOKED', allSessions: true, exceptSessionId: keep });
  services.logger.info({ userId: user.id, requestId: scope.requestId }, 'email address changed');
  // nativeUpdate bypasses the loaded entity (which may be the viewer): reload it.
  await em.refresh(user);
  services.background.run('email changed notice', () => services.mailer.send(emailChangedMessage(from, maskEmail(newEmail))));
  return user;
}

/** Voids the pending change with the token of the notice sent to the current address. */
export async function cancelEmailChange(scope: RequestScope, token: string): Promise<User> {
  const { em, services } = scope;
  await services.throttle.consumeIpBudget(scope.ip);
  const record = await findUsableToken(em, services.clock, token, 'cancel-email-change');
  const user = record.user;
  await em.transactional(async (tx) => {
    await consumeToken(tx, services.clock, record);
    await tx.nativeDelete(EmailToken, { user: user.id, purpose: { $in: ['change-email', 'cancel-email-change'] }, usedAt: null });
    // The token proves control of the account's mailbox: the account acts.
    await recordAudit({ ...scope, em: tx, viewer: user }, { action: AUDIT_ACTIONS.cancelEmailChange, targetType: 'user', targetId: user.id, details: { newEmail: record.newEmail } });
  });
  services.logger.info({ userId: user.id, requestId: scope.requestId }, 'email change cancelled');
  return user;
}
