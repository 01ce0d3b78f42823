// Invariants of the access model that several services must respect.
import type { EntityManager } from '@mikro-orm/sqlite';
import { User } from '../accounts/entities.ts';
import { LastAdminError } from '../errors.ts';
import { ADMIN_ROLE } from './declarations.ts';

/** Active (not disabled) holders of the admin role. */
export async function countActiveAdmins(em: EntityManager, exceptUserId?: string): Promise<number> {
  return em.count(User, {
    disabled: false,
    roles: { name: ADMIN_ROLE },
    ...(exceptUserId ? { id: { $ne: exceptUserId } } : {}),
  });
}

/**
 * Throws LAST_ADMIN when the change would leave no active admin: call before removing the admin
 * role from, disabling or deleting `userId` (only matters when that user is an active admin now).
 */
export async function assertNotLastAdmin(em: EntityManager, userId: string): Promise<void> {
  const target = await em.findOne(User, { id: userId, disabled: false, roles: { name: ADMIN_ROLE } });
  if (!target) return;
  if ((await countActiveAdmins(em, userId)) === 0) throw new LastAdminError();
}
