// Self-service account deletion. The password is checked like a login (same throttle), so a
// stolen session alone cannot delete the account, nor serve to guess the password.
import type { RequestScope } from '../context.ts';
import { InvalidCredentialsError } from '../errors.ts';
import { assertNotLastAdmin } from '../access/guards.ts';
import { recordAudit } from '../admin/audit.ts';
import { revokeAllSessions } from '../sessions/service.ts';
import { User } from './entities.ts';
import { emailKey } from './email.ts';
import { verifyPassword } from './passwords.ts';

export const ACCOUNT_DELETE_ACTION = 'account.delete';

/**
 * Deletes the user's own account after checking their password: every session ends and the
 * user's sessions, emailed tokens and role links go with the row (foreign keys cascade).
 * The last active admin cannot delete themselves (LAST_ADMIN).
 */
export async function deleteAccount(scope: RequestScope, user: User, password: string): Promise<{ id: string; email: string }> {
  const { em, services } = scope;
  const key = emailKey(user.email);
  services.throttle.assertLoginAllowed(key, scope.ip);
  await em.populate(user, ['passwordHash']);
  if (!(await verifyPassword(user.passwordHash, password))) {
    services.throttle.recordLoginFailure(key, scope.ip);
    throw new InvalidCredentialsError('The password is incorrect.');
  }
  services.throttle.recordLoginSuccess(key, scope.ip);
  await em.transactional(async (tx) => {
    await assertNotLastAdmin(tx, user.id);
    const sessionsEnded = await revokeAllSessions(tx, user.id);
    await recordAudit(
      { ...scope, em: tx, viewer: user },
      { action: ACCOUNT_DELETE_ACTION, targetType: 'user', targetId: user.id, details: { email: user.email, sessionsEnded } },
    );
    await tx.nativeDelete(User, { id: user.id });
  });
  services.logger.info({ userId: user.id, requestId: scope.requestId }, 'account deleted');
  return { id: user.id, email: user.email };
}
