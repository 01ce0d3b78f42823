// Impersonation: an admin holding `users:impersonate` starts a session AS a user, to see what they
// see. The session is the user's (their viewer, their permissions), lasts at most an hour, and is
// limited: it never passes step-up (schema/builder.ts `recentSignIn`) nor `notImpersonating`, so it
// cannot change the user's password, email, factors, passkeys, linked accounts or tokens, and cannot
// impersonate further. It ends when stopped, after the hour, or as soon as its admin is disabled,
// banned, deleted or loses the permission (sessions/service.ts checks on every request). Audit rows
// written during it name the admin as the actor and the user as `impersonatedUser`.
import type { RequestScope } from '../context.ts';
import { DomainError, impersonationRestricted, notFound, ValidationFailedError, type FieldProblem } from '../errors.ts';
import { User } from '../accounts/entities.ts';
import { assertMayManage } from '../accounts/roles.ts';
import { isLockedOut } from '../accounts/lockout.ts';
import { ADMIN_ROLE } from '../access/declarations.ts';
import { publishRevoked } from '../realtime/pubsub.ts';
import { createSession, currentSessionId, IMPERSONATE_PERMISSION, revokeSession, type IssuedSession } from '../sessions/service.ts';
import { recordAudit } from '../audit/service.ts';

export const IMPERSONATION_REASON_MAX = 500;

export const IMPERSONATION_AUDIT_ACTIONS = {
  start: 'user.impersonate',
  stop: 'user.impersonate_stop',
} as const;

/** The account cannot be impersonated (an admin, an impersonator, yourself, or locked out). */
export class NotImpersonableError extends DomainError {
  readonly code = 'NOT_IMPERSONABLE';
}

/** `stopImpersonating` on a request that is not an impersonation session. */
export class NotImpersonatingError extends DomainError {
  readonly code = 'NOT_IMPERSONATING';
  constructor() {
    super('This request is not an impersonation session: there is nothing to stop.');
  }
}

export interface StartedImpersonation extends IssuedSession {
  user: User;
}

export async function impersonateUser(scope: RequestScope, id: string, reason: string): Promise<StartedImpersonation> {
  const { em, services } = scope;
  const admin = scope.viewer;
  // The GraphQL rule refuses these first (step-up); a service caller gets the same answer.
  if (!admin || scope.impersonator) throw impersonationRestricted();
  const text = reason.trim();
  const problems: FieldProblem[] = [];
  if (text.length === 0) problems.push({ field: 'reason', messages: ['Say why: the audit log, other admins and the user see it.'] });
  if (text.length > IMPERSONATION_REASON_MAX) problems.push({ field: 'reason', messages: [`Use at most ${IMPERSONATION_REASON_MAX} characters.`] });
  if (problems.length) throw new ValidationFailedError(problems);

  const user = await em.findOne(User, { id }, { populate: ['roles'] });
  if (!user) throw notFound('User');
  if (user.id === admin.id) throw new NotImpersonableError('You cannot impersonate your own account.');
  const held = await scope.loadAccess(user);
  if (user.roles.getItems().some((role) => role.name === ADMIN_ROLE) || held.isAdmin) {
    throw new NotImpersonableError('Administrators cannot be impersonated.');
  }
  // Acting as someone who may impersonate would be a way to impersonate further.
  if (held.can(IMPERSONATE_PERMISSION)) throw new NotImpersonableError(`Accounts that hold \`${IMPERSONATE_PERMISSION}\` cannot be impersonated.`);
  if (isLockedOut(user, services.clock.now())) {
    throw new NotImpersonableError('This account is disabled or banned: it has no sessions to look through.');
  }
  // Acting as an account that holds a permission you lack would hand you that permission.
  await assertMayManage(scope, user);

  const issued = await em.transactional(async (tx) => {
    const issued = await createSession(
      { em: tx, config: services.config, clock: services.clock },
      user,
      { ip: scope.ip, userAgent: scope.userAgent },
      { impersonator: admin, reason: text },
    );
    await recordAudit(
      { ...scope, em: tx },
      {
        action: IMPERSONATION_AUDIT_ACTIONS.start,
        targetType: 'user',
        targetId: user.id,
        details: { reason: text, sessionId: issued.session.id, expiresAt: issued.session.expiresAt.toISOString() },
      },
    );
    return issued;
  });
  services.logger.info({ adminId: admin.id, userId: user.id, sessionId: issued.session.id }, 'impersonation started');
  return { ...issued, user };
}

/** Ends the impersonation session this request came with (the admin's own session is untouched). */
export async function stopImpersonating(scope: RequestScope): Promise<{ id: string }> {
  const sessionId = currentSessionId(scope);
  const user = scope.viewer;
  if (!scope.impersonator || !sessionId || !user) throw new NotImpersonatingError();
  await scope.em.transactional(async (tx) => {
    await revokeSession(tx, user.id, sessionId);
    await recordAudit({ ...scope, em: tx }, { action: IMPERSONATION_AUDIT_ACTIONS.stop, targetType: 'user', targetId: user.id, details: { sessionId } });
  });
  publishRevoked(scope.services, { userId: user.id, reason: 'LOGOUT', sessionIds: [sessionId] });
  scope.services.logger.info({ adminId: scope.impersonator.id, userId: user.id, sessionId }, 'impersonation stopped');
  return { id: sessionId };
}
