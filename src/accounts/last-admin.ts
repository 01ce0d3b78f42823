// Invariants of the access model that several services must respect.
import type { EntityManager } from '@mikro-orm/sql';
import { User } from './entities.ts';
import { LastAdminError } from '../errors.ts';
import { ADMIN_ROLE } from '../access/declarations.ts';
import { lockInTransaction } from '../db/locks.ts';

/** Active (not disabled) holders of the admin role. */
export async function countActiveAdmins(em: EntityManager, exceptUserId?: string): Promise<number> {
  return em.count(User, {
    disabled: false,
    roles: { name: ADMIN_ROLE },
    ...(exceptUserId ? { id: { $ne: exceptUserId } } : {}),
  });
}

/**
 * Whether any account holds the admin role (disabled or not): the server is claimed. Until then
 * first-run setup stays open and self-service sign-up is closed (ALLOW_REGISTRATION_BEFORE_SETUP).
 */
export async function adminExists(em: EntityManager): Promise<boolean> {
  return (await em.findOne(User, { roles: { name: ADMIN_ROLE } }, { fields: ['id'] })) !== null;
}

/**
 * Throws LAST_ADMIN when the change would leave no active admin: call before removing the admin
 * role from, disabling or deleting `userId` (only matters when that user is an active admin now).
 */
export async function assertNotLastAdmin(em: EntityManager, userId: string): Promise<void> {
  // Two demotions at once on PostgreSQL would each see the other admin still active: they take turns.
  if (em.isInTransaction()) await lockInTransaction(em, 'admins');
  const target = await em.findOne(User, { id: userId, disabled: false, roles: { name: ADMIN_ROLE } });
  if (!target) return;
  if ((await countActiveAdmins(em, userId)) === 0) throw new LastAdminError();
}
