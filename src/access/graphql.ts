// GraphQL for roles and permissions: the Role and Permission types and their root fields (the roles
// a User holds, and assigning them, are in accounts/roles-graphql.ts).
import { builder } from '../schema/builder.ts';
import { describedRule } from '../schema/auth-rules.ts';
import { BuiltInProtectedError, NameTakenError, ValidationFailedError } from '../errors.ts';
import { PERMISSIONS } from './declarations.ts';
import type { Permission, Role } from './entities.ts';
import * as access from './service.ts';

const canRead = { permission: PERMISSIONS.rolesRead } as const;
const canWrite = { permission: PERMISSIONS.rolesWrite } as const;
/** Changing the access model also needs a recent sign-in (step-up). */
const canChange = { $all: { permission: PERMISSIONS.rolesWrite, recentSignIn: true } } as const;

// Roles and permissions are reached only through fields that carry the real rule (`roles`,
// `User.roles`, the role mutations); the type rule just keeps anonymous clients out.
const reachedThroughGuardedField = describedRule('signed in, through a field that allows it', () => ({ authenticated: true }));

export const PermissionRef = builder.objectRef<Permission>('Permission').implement({
  description: 'A named capability. Roles group permissions; the `admin` role holds every one.',
  authScopes: reachedThroughGuardedField,
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable for caches; arguments name a permission by `name`.' }),
    name: t.exposeString('name', { description: 'E.g. `users:read`. Unique: arguments and inputs refer to a permission by it.' }),
    description: t.exposeString('description', { nullable: true }),
    builtIn: t.exposeBoolean('builtIn', { description: 'Built into Gatehouse or declared by the deployer in code: cannot be deleted.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const RoleRef = builder.objectRef<Role>('Role').implement({
  description: 'A named set of permissions given to users.',
  authScopes: reachedThroughGuardedField,
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable across renames, for caches; arguments name a role by `name`.' }),
    name: t.exposeString('name', { description: 'Unique: arguments and inputs refer to a role by it.' }),
    description: t.exposeString('description', { nullable: true }),
    builtIn: t.exposeBoolean('builtIn', {
      description: '`admin`, `user` and roles declared in code: cannot be renamed or deleted.',
    }),
    permissions: t.field({
      type: [PermissionRef],
      description: 'The permissions the role grants, by name. For `admin`: every permission, including ones added later.',
      resolve: (role, _args, ctx) => access.rolePermissions(ctx, role),
    }),
    userCount: t.int({
      authScopes: canRead,
      description: 'How many accounts hold the role.',
      resolve: (role, _args, ctx) => access.roleUserCount(ctx, role),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const DeletedRef = (name: string, what: string) =>
  builder.objectRef<{ id: string; name: string }>(name).implement({
    description: `The ${what} that was deleted.`,
    fields: (t) => ({
      id: t.exposeID('id', { authScopes: { public: true } }),
      name: t.exposeString('name', { authScopes: { public: true } }),
    }),
  });
const DeletedRoleRef = DeletedRef('DeletedRole', 'role');
const DeletedPermissionRef = DeletedRef('DeletedPermission', 'permission');

const CreateRoleInput = builder.inputType('CreateRoleInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Lower-case words joined by `:`, `.`, `_` or `-`, e.g. `support`.' }),
    description: t.string({ required: false }),
    permissions: t.stringList({ required: false, description: 'Permission names. You can only grant permissions you hold yourself.' }),
  }),
});

const UpdateRoleInput = builder.inputType('UpdateRoleInput', {
  description: 'Omitted fields stay as they are; a null or empty description clears it. A null new name or permission list is refused (VALIDATION_FAILED).',
  fields: (t) => ({
    name: t.string({ required: true, description: 'The role to edit.' }),
    newName: t.string({ required: false, description: 'Renames the role. Built-in roles cannot be renamed.' }),
    description: t.string({ required: false }),
    permissions: t.stringList({
      required: false,
      description:
        'Replaces the permission list (names). Not settable on `admin`, which holds every permission. Permissions declared ' +
        'in code for a declared role are given back at the next start.',
    }),
  }),
});

const CreatePermissionInput = builder.inputType('CreatePermissionInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Lower-case words joined by `:`, `.`, `_` or `-`, e.g. `reports:read`.' }),
    description: t.string({ required: false }),
  }),
});

builder.queryFields((t) => ({
  roles: t.field({
    type: [RoleRef],
    authScopes: canRead,
    description: 'Every role, by name.',
    resolve: (_root, _args, ctx) => access.listRoles(ctx),
  }),
  permissions: t.field({
    type: [PermissionRef],
    authScopes: canRead,
    description: 'Every permission, by name.',
    resolve: (_root, _args, ctx) => access.listPermissions(ctx),
  }),
}));

builder.mutationFields((t) => ({
  createRole: t.field({
    type: RoleRef,
    nullable: true,
    authScopes: canChange,
    description: 'Creates a role with the given permissions.',
    errors: { types: [ValidationFailedError, NameTakenError] },
    args: { input: t.arg({ type: CreateRoleInput, required: true }) },
    resolve: (_root, { input }, ctx) => access.createRole(ctx, input),
  }),
  updateRole: t.field({
    type: RoleRef,
    nullable: true,
    authScopes: canChange,
    description:
      'Renames a role, changes its description or replaces its permissions. Takes effect on the next request of every holder. ' +
      'NOT_FOUND when there is no role by that name.',
    errors: { types: [ValidationFailedError, NameTakenError, BuiltInProtectedError] },
    args: { input: t.arg({ type: UpdateRoleInput, required: true }) },
    resolve: (_root, { input }, ctx) => access.updateRole(ctx, input),
  }),
  deleteRole: t.fieldWithInput({
    type: DeletedRoleRef,
    nullable: true,
    authScopes: canChange,
    description: 'Deletes a role that is not built in; its holders lose it at once. NOT_FOUND when there is no role by that name.',
    errors: { types: [BuiltInProtectedError] },
    input: { name: t.input.string({ required: true }) },
    resolve: (_root, { input: { name } }, ctx) => access.deleteRole(ctx, name),
  }),
  createPermission: t.field({
    type: PermissionRef,
    nullable: true,
    authScopes: canChange,
    description: 'Creates a permission. The `admin` role holds it at once; add it to other roles with `updateRole`.',
    errors: { types: [ValidationFailedError, NameTakenError] },
    args: { input: t.arg({ type: CreatePermissionInput, required: true }) },
    resolve: (_root, { input }, ctx) => access.createPermission(ctx, input),
  }),
  deletePermission: t.fieldWithInput({
    type: DeletedPermissionRef,
    nullable: true,
    authScopes: canChange,
    description:
      'Deletes a permission that is neither built in nor declared in code; roles lose it at once. NOT_FOUND when there is no permission by that name.',
    errors: { types: [BuiltInProtectedError] },
    input: { name: t.input.string({ required: true }) },
    resolve: (_root, { input: { name } }, ctx) => access.deletePermission(ctx, name),
  }),
}));
