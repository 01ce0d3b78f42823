// GraphQL for the roles an account holds: `User.roles`, `permissions`, `isAdmin`, and `assignRoles`.
import { builder } from '../schema/builder.ts';
import { describedRule } from '../schema/auth-rules.ts';
import { LastAdminError, ValidationFailedError } from '../errors.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { RoleRef } from '../access/graphql.ts';
import type { User } from './entities.ts';
import { UserRef } from './graphql.ts';
import { assignRoles, effectiveUserAccess } from './roles.ts';

const viewerOrUserReader = describedRule(
  `the account itself, or holders of \`${PERMISSIONS.usersRead}\``,
  (user: User) => ({ $any: { self: user.id, permission: PERMISSIONS.usersRead } }),
);

builder.objectFields(UserRef, (t) => ({
  roles: t.field({
    type: [RoleRef],
    authScopes: viewerOrUserReader,
    description:
      'The roles the account holds, by name. Every account holds `user`. On `viewer` with a ' +
      'permission-restricted access token: none (the token acts through its permissions only).',
    resolve: async (user, _args, ctx) => (await effectiveUserAccess(ctx, user)).roles,
  }),
  permissions: t.stringList({
    authScopes: viewerOrUserReader,
    description:
      'Every permission the account holds through its roles, by name (for an admin: all of them). On `viewer`, ' +
      'what this request may do: with a permission-restricted access token, only the permissions it keeps.',
    resolve: async (user, _args, ctx) => (await effectiveUserAccess(ctx, user)).permissions,
  }),
  isAdmin: t.boolean({
    authScopes: viewerOrUserReader,
    description: 'Whether the account holds the `admin` role (false on `viewer` with a permission-restricted access token).',
    resolve: async (user, _args, ctx) => (await effectiveUserAccess(ctx, user)).isAdmin,
  }),
}));

builder.mutationFields((t) => ({
  assignRoles: t.fieldWithInput({
    type: UserRef,
    nullable: true,
    authScopes: { $all: { permission: PERMISSIONS.rolesWrite, recentSignIn: true } },
    description:
      "Replaces a user's roles with the named ones (`user` always stays). Only an admin can grant or remove " +
      '`admin`, and the last active admin cannot lose it. Takes effect on the user\'s next request.',
    errors: { types: [ValidationFailedError, LastAdminError] },
    input: { userId: t.input.id({ required: true }), roles: t.input.stringList({ required: true }) },
    resolve: (_root, { input: { userId, roles } }, ctx) => assignRoles(ctx, userId, roles),
  }),
}));
