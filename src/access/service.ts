// Roles and permissions: listing, creating, editing and deleting them (which users hold them: accounts/roles.ts).
// Services take a scope (the request's, or the CLI's) and know nothing of GraphQL. Every change is audited.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/sql';
import { isOperator, type RequestScope } from '../context.ts';
import { recordAudit, type AuditScope } from '../audit/service.ts';
import {
  BuiltInProtectedError,
  forbidden,
  unauthenticated,
  NameTakenError,
  notFound,
  ValidationFailedError,
  type FieldProblem,
} from '../errors.ts';
import { ACCESS_NAME, ADMIN_ROLE, USER_ROLE } from './declarations.ts';
import { Permission, Role } from './entities.ts';
import { accessFromRoles, type ViewerAccess } from './viewer-access.ts';
import { singleLineProblem } from '../validation/text.ts';
import { nullsRefused } from '../validation/updates.ts';

/** Who acts (a signed-in user, or with no viewer the operator at the command line) and on which database. */
export type AccessScope = AuditScope & Pick<RequestScope, 'loadAccess'>;

export interface CreateRoleInput {
  name: string;
  description?: string | null;
  permissions?: readonly string[] | null;
}

/** Omitted fields stay as they are; a null or empty description clears it; a null name or permission list is refused. */
export interface UpdateRoleInput {
  /** The role to edit. */
  name: string;
  newName?: string | null;
  description?: string | null;
  permissions?: readonly string[] | null;
}

export interface CreatePermissionInput {
  name: string;
  description?: string | null;
}

const NAME_MAX = 64;
const DESCRIPTION_MAX = 500;

export const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

// ---- reading -------------------------------------------------------------------------------

export async function listRoles(scope: Pick<RequestScope, 'em'>): Promise<Role[]> {
  return scope.em.find(Role, {}, { populate: ['permissions'], orderBy: { name: 'asc' } });
}

export async function listPermissions(scope: Pick<RequestScope, 'em'>): Promise<Permission[]> {
  return scope.em.find(Permission, {}, { orderBy: { name: 'asc' } });
}

export async function findRoleByName(scope: Pick<RequestScope, 'em'>, name: string): Promise<Role | null> {
  return scope.em.findOne(Role, { name: name.trim() }, { populate: ['permissions'] });
}

/** A role's permissions as they act: the admin role holds every permission there is, now and later. */
export async function rolePermissions(scope: Pick<RequestScope, 'em'>, role: Role): Promise<Permission[]> {
  if (role.name === ADMIN_ROLE) return listPermissions(scope);
  await scope.em.populate(role, ['permissions']);
  return role.permissions.getItems().sort(byName);
}

/**
 * How many accounts hold a role, counted on the pivot table the User entity keeps
 * (accounts/entities.ts `roles`): roles are below accounts and do not load users.
 */
export async function roleUserCount(scope: Pick<RequestScope, 'em'>, role: Role): Promise<number> {
  const rows = await scope.em.getConnection().execute<{ n: number | string }[]>(
    'select count(*) as n from user_roles where role_id = ?',
    [role.id],
    'all',
    scope.em.getTransactionContext(),
  );
  return Number(rows[0]?.n ?? 0);
}

// ---- roles ---------------------------------------------------------------------------------

export async function createRole(scope: AccessScope, input: CreateRoleInput): Promise<Role> {
  const { em, services } = scope;
  const problems: FieldProblem[] = [];
  const name = checkAccessName('name', input.name, problems);
  const description = checkDescription(input.description, problems);
  const permissions = await findPermissions(em, input.permissions ?? [], problems);
  if (problems.length) throw new ValidationFailedError(problems);

  assertMayGrant(await actorAccess(scope), permissions.map((p) => p.name));
  if (await em.findOne(Role, { name })) throw new NameTakenError('role', name);
  const now = services.clock.now();
  const role = em.create(Role, { name, description, builtIn: false, permissions, createdAt: now, updatedAt: now });
  await flushUnique(em, () => new NameTakenError('role', name));
  await recordAudit(scope, {
    action: 'role.create',
    targetType: 'role',
    targetId: role.id,
    details: { name, permissions: permissions.map((p) => p.name).sort() },
  });
  return role;
}

/** Edits the role named `input.name`; `input.newName` renames it. */
export async function updateRole(scope: AccessScope, input: UpdateRoleInput): Promise<Role> {
  const { em, services } = scope;
  const role = await findRoleByName(scope, input.name);
  if (!role) throw notFound('Role');

  const problems: FieldProblem[] = nullsRefused(input, ['newName', 'permissions']);
  const name = input.newName == null ? role.name : checkAccessName('newName', input.newName, problems);
  const description = input.description === undefined ? role.description : checkDescription(input.description, problems);
  const permissions = input.permissions == null ? null : await findPermissions(em, input.permissions, problems);
  if (problems.length) throw new ValidationFailedError(problems);

  if (name !== role.name && role.builtIn) throw new BuiltInProtectedError(`The role "${role.name}"`);
  // The admin role holds every permission implicitly; a list stored on it would mean nothing.
  if (permissions && role.name === ADMIN_ROLE) throw new BuiltInProtectedError(`The permissions of the role "${ADMIN_ROLE}"`);
  const before = role.permissions.getItems().map((p) => p.name);
  const after = permissions?.map((p) => p.name) ?? before;
  const { added, removed } = difference(before, after);
  assertMayGrant(await actorAccess(scope), added);
  if (name !== role.name && (await em.findOne(Role, { name }))) throw new NameTakenError('role', name);

  const renamedFrom = role.name;
  Object.assign(role, { name, description, updatedAt: services.clock.now() });
  if (permissions) role.permissions.set(permissions);
  await flushUnique(em, () => new NameTakenError('role', name));
  await recordAudit(scope, {
    action: 'role.update',
    targetType: 'role',
    targetId: role.id,
    details: {
      name,
      ...(renamedFrom !== name ? { renamedFrom } : {}),
      ...(input.description !== undefined ? { description } : {}),
      permissionsAdded: added,
      permissionsRemoved: removed,
    },
  });
  return role;
}

/** Deletes a role that is not built in; its holders lose it. Returns the deleted role's id and name. */
export async function deleteRole(scope: AccessScope, name: string): Promise<{ id: string; name: string }> {
  const role = await scope.em.findOne(Role, { name: name.trim() });
  if (!role) throw notFound('Role');
  return removeRole(scope, role);
}

async function removeRole(scope: AccessScope, role: Role): Promise<{ id: string; name: string }> {
  if (role.builtIn) throw new BuiltInProtectedError(`The role "${role.name}"`);
  const deleted = { id: role.id, name: role.name };
  const holders = await roleUserCount(scope, role);
  // The foreign keys of user_roles and role_permissions cascade: holders lose the role with it.
  await scope.em.remove(role).flush();
  await recordAudit(scope, { action: 'role.delete', targetType: 'role', targetId: deleted.id, details: { name: deleted.name, holders } });
  return deleted;
}

// ---- permissions ---------------------------------------------------------------------------

export async function createPermission(scope: AccessScope, input: CreatePermissionInput): Promise<Permission> {
  const { em, services } = scope;
  const problems: FieldProblem[] = [];
  const name = checkAccessName('name', input.name, problems);
  const description = checkDescription(input.description, problems);
  if (problems.length) throw new ValidationFailedError(problems);

  if (await em.findOne(Permission, { name })) throw new NameTakenError('permission', name);
  const permission = em.create(Permission, { name, description, builtIn: false, createdAt: services.clock.now() });
  await flushUnique(em, () => new NameTakenError('permission', name));
  await recordAudit(scope, { action: 'permission.create', targetType: 'permission', targetId: permission.id, details: { name } });
  return permission;
}

/** Deletes a permission that is neither built in nor declared in code; roles holding it lose it. */
export async function deletePermission(scope: AccessScope, name: string): Promise<{ id: string; name: string }> {
  const permission = await scope.em.findOne(Permission, { name: name.trim() });
  if (!permission) throw notFound('Permission');
  return removePermission(scope, permission);
}

async function removePermission(scope: AccessScope, permission: Permission): Promise<{ id: string; name: string }> {
  if (permission.builtIn) throw new BuiltInProtectedError(`The permission "${permission.name}"`);
  const deleted = { id: permission.id, name: permission.name };
  const roles = (await scope.em.find(Role, { permissions: { id: permission.id } })).map((r) => r.name).sort();
  // The foreign key of role_permissions cascades: roles holding it lose it.
  await scope.em.remove(permission).flush();
  await recordAudit(scope, { action: 'permission.delete', targetType: 'permission', targetId: deleted.id, details: { name: deleted.name, roles } });
  return deleted;
}

// ---- assignments ---------------------------------------------------------------------------

// ---- rules ---------------------------------------------------------------------------------

/** The acting user's access; null for the operator (command line, server), who acts with full authority. */
export async function actorAccess(scope: AccessScope): Promise<ViewerAccess | null> {
  if (scope.viewer) return scope.loadAccess(scope.viewer);
  if (isOperator(scope)) return null;
  // Defence in depth: resolvers are guarded by scope-auth, so an anonymous call never gets here.
  throw unauthenticated();
}

/** No one hands out what they do not hold: roles:write alone must not be a path to every permission. */
function assertMayGrant(actor: ViewerAccess | null, permissionNames: readonly string[]): void {
  if (!actor || actor.isAdmin) return;
  const missing = permissionNames.filter((name) => !actor.can(name));
  if (missing.length) throw forbidden(`You cannot grant permissions you do not hold: ${missing.sort().join(', ')}.`);
}

export function assertMayAssign(actor: ViewerAccess | null, addedRoles: Role[], removedNames: readonly string[]): void {
  if (!actor || actor.isAdmin) return;
  if (removedNames.includes(ADMIN_ROLE) || addedRoles.some((r) => r.name === ADMIN_ROLE)) {
    throw forbidden(`Only an admin can grant or remove the role "${ADMIN_ROLE}".`);
  }
  assertMayGrant(actor, addedRoles.flatMap((r) => r.permissions.getItems().map((p) => p.name)));
}

// ---- input ---------------------------------------------------------------------------------

/** A permission or role name (global or organization): trimmed, the ACCESS_NAME rule, at most NAME_MAX characters; problems on `field`. */
export function checkAccessName(field: string, raw: string, problems: FieldProblem[]): string {
  const name = raw.trim();
  const problem = !name
    ? 'Enter a name.'
    : name.length > NAME_MAX
      ? `Use at most ${NAME_MAX} characters.`
      : !ACCESS_NAME.test(name)
        ? 'Use lower-case letters and digits, with ":", ".", "_" or "-" between words (e.g. "reports:read").'
        : null;
  if (problem) problems.push({ field, messages: [problem] });
  return name;
}

function checkDescription(raw: string | null | undefined, problems: FieldProblem[]): string | null {
  const description = raw?.trim() || null;
  if (description === null) return null;
  const problem = singleLineProblem(description, DESCRIPTION_MAX);
  if (problem) problems.push({ field: 'description', messages: [problem] });
  return description;
}

/** The named permissions; unknown names are reported on the `permissions` field. */
async function findPermissions(em: EntityManager, rawNames: readonly string[], problems: FieldProblem[]): Promise<Permission[]> {
  const names = [...new Set(rawNames.map((n) => n.trim()))];
  if (names.length === 0) return [];
  const found = await em.find(Permission, { name: { $in: names } });
  const unknown = names.filter((n) => !found.some((p) => p.name === n));
  if (unknown.length) problems.push({ field: 'permissions', messages: [unknownNames('permission', unknown)] });
  return found;
}

export const unknownNames = (what: string, names: readonly string[]) =>
  `Unknown ${what}${names.length > 1 ? 's' : ''}: ${names.map((n) => JSON.stringify(n)).join(', ')}.`;

export function difference(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  return {
    added: after.filter((n) => !before.includes(n)).sort(),
    removed: before.filter((n) => !after.includes(n)).sort(),
  };
}

/** Flushes; a unique index that a concurrent request won answers as `taken()`. */
async function flushUnique(em: EntityManager, taken: () => Error): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw taken();
    throw error;
  }
}
