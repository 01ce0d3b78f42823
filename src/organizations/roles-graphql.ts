// GraphQL for organization roles made over the API: createOrganizationRole, updateOrganizationRole
// and deleteOrganizationRole, for holders of the global `organizations:write` with a recent sign-in.
import { builder } from '../schema/builder.ts';
import { BuiltInProtectedError, NameTakenError, ValidationFailedError } from '../errors.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { OrganizationRoleRef } from './graphql.ts';
import { createOrganizationRole, deleteOrganizationRole, updateOrganizationRole } from './roles.ts';

/** Changing what roles mean in every organization: the global permission, and a recent sign-in (step-up). */
const canChange = { $all: { permission: PERMISSIONS.organizationsWrite, recentSignIn: true } } as const;

const DeletedOrganizationRoleRef = builder.objectRef<{ name: string; members: number; invitations: number }>('DeletedOrganizationRole').implement({
  description: 'The organization role was deleted: its holders are `member`s now, and pending invitations with it invite as `member`.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name'),
    members: t.exposeInt('members', { description: 'Members (in every organization) who held it and are `member`s now.' }),
    invitations: t.exposeInt('invitations', { description: 'Pending invitations that offered it and now offer `member`.' }),
  }),
});

builder.mutationFields((t) => ({
  createOrganizationRole: t.fieldWithInput({
    type: OrganizationRoleRef,
    nullable: true,
    authScopes: canChange,
    description:
      'Creates an organization role (the same in every organization) of declared organization permissions, e.g. `recruiter` with ' +
      '`invitations:read` and `invitations:write`. Members can be given it at once.',
    errors: { types: [ValidationFailedError, NameTakenError] },
    input: {
      name: t.input.string({ required: true, description: 'Lower-case words joined by `:`, `.`, `_` or `-`; at most 64 characters.' }),
      description: t.input.string({ required: false, description: 'One line, up to 500 characters.' }),
      permissions: t.input.stringList({ required: false, description: 'Organization permission names (`organizationPermissions`); default none.' }),
    },
    resolve: (_root, { input }, ctx) => createOrganizationRole(ctx, input),
  }),
  updateOrganizationRole: t.fieldWithInput({
    type: OrganizationRoleRef,
    nullable: true,
    authScopes: canChange,
    description:
      'Changes a role made over the API: its description, or its permissions (the list replaces the old one), in effect on the next ' +
      'request of every holder. Roles declared in code are BUILT_IN_PROTECTED; NOT_FOUND when there is no such role.',
    errors: { types: [ValidationFailedError, BuiltInProtectedError] },
    input: {
      name: t.input.string({ required: true, description: 'The role to change (roles are not renamed: members hold them by name).' }),
      description: t.input.string({ required: false, description: 'Omitted: unchanged; null or empty: cleared.' }),
      permissions: t.input.stringList({ required: false, description: 'Omitted: unchanged. Replaces the list; null is refused.' }),
    },
    resolve: (_root, { input }, ctx) => updateOrganizationRole(ctx, input),
  }),
  deleteOrganizationRole: t.fieldWithInput({
    type: DeletedOrganizationRoleRef,
    nullable: true,
    authScopes: canChange,
    description:
      'Deletes a role made over the API; its holders become `member`s at once. Roles declared in code are BUILT_IN_PROTECTED; ' +
      'NOT_FOUND when there is no such role.',
    errors: { types: [BuiltInProtectedError] },
    input: { name: t.input.string({ required: true }) },
    resolve: (_root, { input: { name } }, ctx) => deleteOrganizationRole(ctx, name),
  }),
}));
