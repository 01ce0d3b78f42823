// Which roles each account holds: assigning them, reading what a user may do, and the per-request
// access loader. Roles and permissions themselves (and the rules for granting them) are access/'s.
import type { EntityManager } from '@mikro-orm/sql';
import { isOperator, viewerAccess, type RequestScope } from '../context.ts';
import { recordAudit } from '../audit/service.ts';
import { forbidden, notFound, ValidationFailedError } from '../errors.ts';
import { ADMIN_ROLE, USER_ROLE } from '../access/declarations.ts';
import { Role } from '../access/entities.ts';
import { actorAccess, assertMayAssign, byName, difference, listPermissions, unknownNames, type AccessScope } from '../access/service.ts';
import { accessFromRoles, NO_ACCESS, restrictAccess, type ViewerAccess } from '../access/viewer-access.ts';
import { User } from './entities.ts';
import { assertNotLastAdmin } from './last-admin.ts';

declare module '../context.ts' {
  interface RequestScope {
    /** The signed-in user, or null (anonymous, or the operator when `actorType` is set). */
    viewer: User | null;
    /** Roles and permissions of a user, read once per request and user (use `viewerAccess(scope)`). */
    loadAccess: AccessLoader;
  }
}

export interface UserAccessSummary {
  roles: Role[];
  /** Effective permission names: for an admin, every permission in the database. */
  permissions: string[];
  isAdmin: boolean;
}

/**
 * What a user holds, read from this scope's EntityManager (fresh per request). Not the per-request
 * access cache: a role assigned earlier in the same operation shows here at once.
 */
export async function userAccessSummary(scope: Pick<RequestScope, 'em'>, user: User): Promise<UserAccessSummary> {
  await scope.em.populate(user, ['roles.permissions']);
  const roles = user.roles.getItems().sort(byName);
  const access = accessFromRoles(roles);
  const permissions = access.isAdmin ? (await listPermissions(scope)).map((p) => p.name) : [...access.permissions].sort();
  return { roles, permissions, isAdmin: access.isAdmin };
}

/**
 * `userAccessSummary`, narrowed to what this request may do when it acts for `user` through a
 * permission-restricted access token: apps read `viewer { permissions isAdmin }` to decide what to show.
 */
export async function effectiveUserAccess(scope: Pick<RequestScope, 'em' | 'loadAccess'>, user: User): Promise<UserAccessSummary> {
  if (scope.loadAccess.restrictedUserId !== user.id) return userAccessSummary(scope, user);
  const effective = await scope.loadAccess(user);
  return { roles: [], permissions: [...effective.permissions].sort(), isAdmin: false };
}

/**
 * Replaces a user's roles with the named ones. Every account keeps the `user` role; the last active
 * admin cannot lose `admin` (checked inside the transaction that writes, so two admins demoting
 * each other at once cannot both succeed). May run inside a caller's transaction (`{ ...scope, em: tx }`)
 * if the actor's access is loaded already (a scope check does that): loading it then would wait for
 * SQLite's one connection, which the caller's transaction holds.
 */
export async function assignRoles(scope: AccessScope, userId: string, roleNames: readonly string[]): Promise<User> {
  const actor = await actorAccess(scope);
  const names = [...new Set([USER_ROLE, ...roleNames.map((n) => n.trim())])];
  const { user, added, removed } = await scope.em.transactional(async (tx) => {
    const user = await tx.findOne(User, { id: userId }, { populate: ['roles'] });
    if (!user) throw notFound('User');
    const roles = await tx.find(Role, { name: { $in: names } }, { populate: ['permissions'] });
    const unknown = names.filter((n) => !roles.some((r) => r.name === n));
    if (unknown.length) throw ValidationFailedError.field('roles', unknownNames('role', unknown));

    const { added, removed } = difference(user.roles.getItems().map((r) => r.name), names);
    assertMayAssign(actor, roles.filter((r) => added.includes(r.name)), removed);
    if (removed.includes(ADMIN_ROLE)) await assertNotLastAdmin(tx, user.id);
    user.roles.set(roles);
    user.updatedAt = scope.services.clock.now();
    await tx.flush();
    await recordAudit({ ...scope, em: tx }, { action: 'user.roles.assign', targetType: 'user', targetId: user.id, details: { added, removed } });
    return { user, added, removed };
  });
  scope.services.logger.info({ userId: user.id, added, removed }, 'roles assigned');
  return user;
}

/** The request's EntityManager is a fresh fork, so this reads what is stored now. */
export async function loadViewerAccess(em: EntityManager, user: User): Promise<ViewerAccess> {
  await em.populate(user, ['roles.permissions']);
  return accessFromRoles(user.roles.getItems());
}

/** Reads a user's access for one request. */
export interface AccessLoader {
  (user: User | null): Promise<ViewerAccess>;
  /** The user whose access this request narrows (a permission-restricted access token's owner), or null. */
  readonly restrictedUserId: string | null;
}

/** A per-request loader: each user's access is read at most once. */
export function accessLoader(
  em: EntityManager | (() => EntityManager),
  restriction?: { userId: string; permissions: readonly string[] },
): AccessLoader {
  const loaded = new Map<string, Promise<ViewerAccess>>();
  const load = (user: User | null) => {
    if (!user) return Promise.resolve(NO_ACCESS);
    let access = loaded.get(user.id);
    if (!access) {
      const full = loadViewerAccess(typeof em === 'function' ? em() : em, user);
      access = restriction?.userId === user.id ? full.then((a) => restrictAccess(a, restriction.permissions)) : full;
      loaded.set(user.id, access);
    }
    return access;
  };
  return Object.assign(load, { restrictedUserId: restriction?.userId ?? null });
}

/**
 * Nobody manages an account that holds a permission they lack: setting its password or email would
 * hand them that permission (so only admins manage admins). The operator (no viewer) may do anything.
 */
export async function assertMayManage(scope: RequestScope, target: User): Promise<void> {
  if (isOperator(scope) || scope.viewer?.id === target.id) return;
  const actor = await viewerAccess(scope);
  if (actor.isAdmin) return;
  const held = await scope.loadAccess(target);
  const lacking = held.isAdmin ? ['every permission (admin)'] : [...held.permissions].filter((name) => !actor.can(name)).sort();
  if (lacking.length) throw forbidden(`This account holds permissions you do not: ${lacking.join(', ')}.`);
}
