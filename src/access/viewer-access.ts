// What the viewer may do, read fresh from the database once per request (a role removed now takes
// effect on the next request) and only when a rule asks.
import type { Role } from './entities.ts';
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

export function accessFromRoles(roles: Role[]): ViewerAccess {
  const names = new Set(roles.map((role) => role.name));
  const permissions = new Set(roles.flatMap((role) => role.permissions.getItems().map((p) => p.name)));
  const isAdmin = names.has(ADMIN_ROLE);
  return { roles: names, permissions, isAdmin, can: (permission) => isAdmin || permissions.has(permission) };
}

/**
 * What a permission-restricted access token may do: the owner's permissions that the token also
 * lists (so when the owner loses one, so does the token), and no role or admin standing of its own.
 */
export function restrictAccess(owner: ViewerAccess, allowed: readonly string[]): ViewerAccess {
  const permissions = new Set(allowed.filter((name) => owner.can(name)));
  return { roles: new Set(), permissions, isAdmin: false, can: (permission) => permissions.has(permission) };
}
