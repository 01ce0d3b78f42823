// What the viewer may do, read fresh from the database once per request (a role removed now takes
// effect on the next request) and only when a rule asks.
import type { EntityManager } from '@mikro-orm/sql';
import type { Role } from './entities.ts';
import type { User } from '../accounts/entities.ts';
import { ADMIN_ROLE } from './declarations.ts';

export interface ViewerAccess {
  roles: ReadonlySet<string>;
  permissions: ReadonlySet<string>;
  isAdmin: boolean;
  /** The admin role holds every permission, including ones declared later. */
  can(permission: string): boolean;
}

export const NO_ACCESS: ViewerAccess = {
  roles: new Set(),
  permissions: new Set(),
  isAdmin: false,
  can: () => false,
};

/** The request's EntityManager is a fresh fork, so this reads what is stored now. */
export async function loadViewerAccess(em: EntityManager, user: User): Promise<ViewerAccess> {
  await em.populate(user, ['roles.permissions']);
  return accessFromRoles(user.roles.getItems());
}

export function accessFromRoles(roles: Role[]): ViewerAccess {
  const names = new Set(roles.map((role) => role.name));
  const permissions = new Set(roles.flatMap((role) => role.permissions.getItems().map((p) => p.name)));
  const isAdmin = names.has(ADMIN_ROLE);
  return { roles: names, permissions, isAdmin, can: (permission) => isAdmin || permissions.has(permission) };
}

/** A per-request loader: each user's access is read at most once. */
export function accessLoader(
  em: EntityManager | (() => EntityManager),
  restriction?: { userId: string; permissions: readonly string[] },
): (user: User | null) => Promise<ViewerAccess> {
  const loaded = new Map<string, Promise<ViewerAccess>>();
  return (user) => {
    if (!user) return Promise.resolve(NO_ACCESS);
    let access = loaded.get(user.id);
    if (!access) {
      const full = loadViewerAccess(typeof em === 'function' ? em() : em, user);
      access = restriction?.userId === user.id ? full.then((a) => restrictAccess(a, restriction.permissions)) : full;
      loaded.set(user.id, access);
    }
    return access;
  };
}

/**
 * What a permission-restricted access token may do: the owner's permissions that the token also
 * lists (so when the owner loses one, so does the token), and no role or admin standing of its own.
 */
export function restrictAccess(owner: ViewerAccess, allowed: readonly string[]): ViewerAccess {
  const permissions = new Set(allowed.filter((name) => owner.can(name)));
  return { roles: new Set(), permissions, isAdmin: false, can: (permission) => permissions.has(permission) };
}
