// Brings declared permissions and roles into the database at start: creates what is missing,
// refreshes descriptions, and adds declared permissions to declared roles. It never removes
// what an admin added through the API.
import type { EntityManager } from '@mikro-orm/sql';
import type { Clock } from '../util/clock.ts';
import { Permission, Role } from './entities.ts';
import {
  ACCESS_NAME,
  BUILT_IN_PERMISSIONS,
  BUILT_IN_ROLES,
  USER_ROLE,
  type AccessDeclarations,
} from './declarations.ts';

export async function syncAccessDeclarations(em: EntityManager, clock: Clock, extra: AccessDeclarations = {}): Promise<void> {
  const permissions = [...BUILT_IN_PERMISSIONS, ...(extra.permissions ?? [])];
  const roles = [...BUILT_IN_ROLES, ...(extra.roles ?? [])];
  for (const name of [...permissions, ...roles].map((d) => d.name)) {
    if (!ACCESS_NAME.test(name)) throw new Error(`Invalid permission or role name "${name}" in declarations`);
  }
  await em.transactional(async (tx) => {
    const now = clock.now();
    const byName = new Map<string, Permission>();
    for (const declared of permissions) {
      const existing = await tx.findOne(Permission, { name: declared.name });
      const permission = existing ?? tx.create(Permission, { name: declared.name, createdAt: now });
      Object.assign(permission, { description: declared.description, builtIn: true });
      byName.set(declared.name, permission);
    }
    for (const declared of roles) {
      const role =
        (await tx.findOne(Role, { name: declared.name }, { populate: ['permissions'] })) ??
        tx.create(Role, { name: declared.name, createdAt: now, updatedAt: now });
      Object.assign(role, { description: declared.description, builtIn: true });
      for (const name of declared.permissions) {
        const permission = byName.get(name) ?? (await tx.findOne(Permission, { name }));
        if (!permission) throw new Error(`Role "${declared.name}" declares unknown permission "${name}"`);
        if (!role.permissions.contains(permission)) role.permissions.add(permission);
      }
    }
  });
}

/** The role every new account gets. */
export async function defaultRole(em: EntityManager): Promise<Role> {
  return em.findOneOrFail(Role, { name: USER_ROLE });
}
