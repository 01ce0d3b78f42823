// Self-service account deletion. It needs a recent sign-in (step-up, checked by the field's rule),
// so a session stolen some time after sign-in cannot delete the account; never an access token.
import type { RequestScope } from '../context.ts';
import { publishRevoked } from '../realtime/pubsub.ts';
import { assertNotLastAdmin } from './last-admin.ts';
import { recordAudit } from '../audit/service.ts';
import { User } from './entities.ts';
import { forbidden } from '../errors.ts';
import { assertDeletable } from './deletion-guards.ts';

export const ACCOUNT_DELETE_ACTION = 'account.delete';

/**
 * Deletes the user's own account: every session ends and the
 * user's sessions, emailed tokens and role links go with the row (foreign keys cascade).
 * The last active admin cannot delete themselves (LAST_ADMIN), nor the owner of an organization (OWNER_REQUIRED).
 */
export async function deleteAccount(scope: RequestScope, user: User): Promise<{ id: string; email: string }> {
  const { em, services } = scope;
  // A script's token must not be able to delete the person it works for.
  if (scope.credential?.kind === 'token') throw forbidden('Delete your account while signed in, not with an access token.');
  await em.transactional(async (tx) => {
    await assertNotLastAdmin(tx, user.id);
    await assertDeletable(services.accountDeletionGuards, tx, user.id);
    const sessionsEnded = await services.userSessions.revoke(tx, user.id, null);
    await recordAudit(
      { ...scope, em: tx, viewer: user },
      { action: ACCOUNT_DELETE_ACTION, targetType: 'user', targetId: user.id, details: { email: user.email, sessionsEnded } },
    );
    await tx.nativeDelete(User, { id: user.id });
  });
  publishRevoked(services, { userId: user.id, reason: 'USER_DELETED', allOfUser: true });
  services.logger.info({ userId: user.id, requestId: scope.requestId }, 'account deleted');
  return { id: user.id, email: user.email };
}
