// Self-service account deletion. The password is checked like a login (same throttle), so a
// stolen session alone cannot delete the account, nor serve to guess the password.
import type { RequestScope } from '../context.ts';
import { publishRevoked } from '../realtime/pubsub.ts';
import { assertNotLastAdmin } from './last-admin.ts';
import { recordAudit } from '../audit/service.ts';
import { User } from './entities.ts';
import { reauthenticate } from './service.ts';

export const ACCOUNT_DELETE_ACTION = 'account.delete';

/**
 * Deletes the user's own account after checking their password: every session ends and the
 * user's sessions, emailed tokens and role links go with the row (foreign keys cascade).
 * The last active admin cannot delete themselves (LAST_ADMIN).
 */
export async function deleteAccount(scope: RequestScope, user: User, password: string): Promise<{ id: string; email: string }> {
  const { em, services } = scope;
  await reauthenticate(scope, user, password, 'The password is incorrect.');
  await em.transactional(async (tx) => {
    await assertNotLastAdmin(tx, user.id);
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
