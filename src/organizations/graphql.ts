// GraphQL for organizations: the Organization, OrganizationMember, OrganizationRole and
// OrganizationInvitation types, `organization(id)`, the admin list `organizations`, and the
// viewer's organizations. Organization-scoped fields require an organization permission in the
// organization they are about (scope-auth `organizationPermission`); mutations are in mutations-graphql.ts.
import { builder } from '../schema/builder.ts';
import { describedRule } from '../schema/auth-rules.ts';
import { errorType } from '../schema/errors.ts';
import { UserRef } from '../accounts/graphql.ts';
import type { User } from '../accounts/entities.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import type { Organization, OrganizationInvitation, OrganizationMember } from './entities.ts';
import { ORG_PERMISSIONS, type OrganizationRole } from './declarations.ts';
import { activeOrganization, activeOrganizationAsAuthenticated, getOrganization, joinableOrganizations, memberCount, userMemberships } from './service.ts';
import { listMembers, listOrganizations, memberCursor, organizationCursor, PAGE_MAX } from './lists.ts';
import { listInvitations } from './invitations.ts';
import { AlreadyMemberError, InvitationEmailMismatchError } from './errors.ts';

errorType(AlreadyMemberError, 'AlreadyMemberError', 'The account is a member of the organization already.');
errorType(InvitationEmailMismatchError, 'InvitationEmailMismatchError', 'The invitation was sent to another address than the signed-in account’s.');

/** `permission` in the organization `organizationId`. */
export const inOrganization = (organizationId: string, permission: string) => ({ organizationPermission: { organizationId, permission } });

const orgPermission = (permission: string) =>
  describedRule(`organization permission \`${permission}\` in the organization`, (organization: Organization) => inOrganization(organization.id, permission));

export const OrganizationRoleRef = builder.objectRef<OrganizationRole>('OrganizationRole').implement({
  description: 'A role inside an organization, declared in code (built in: `owner`, `admin`, `member`).',
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    permissions: t.stringList({ description: 'Organization permissions it grants there, by name.', resolve: (role) => [...role.permissions].sort() }),
    builtIn: t.exposeBoolean('builtIn', { description: '`owner`, `admin` and `member`; the others are the deployer’s.' }),
    custom: t.exposeBoolean('custom', {
      description: 'Made over the API (`createOrganizationRole`): it can be changed and deleted there. False: declared in code.',
    }),
  }),
});

const OrganizationPermissionRef = builder.objectRef<{ name: string; description: string }>('OrganizationPermission').implement({
  description: 'A permission that holds inside one organization, declared in code.',
  authScopes: { authenticated: true },
  fields: (t) => ({ name: t.exposeString('name'), description: t.exposeString('description') }),
});

export const OrganizationRef = builder.objectRef<Organization>('Organization');

export const OrganizationMemberRef = builder.objectRef<OrganizationMember>('OrganizationMember').implement({
  description: 'A member of an organization with their role there.',
  authScopes: describedRule('organization permission `members:read` in the member’s organization', (member: OrganizationMember) =>
    inOrganization(member.organization.id, ORG_PERMISSIONS.membersRead),
  ),
  fields: (t) => ({
    id: t.exposeID('id'),
    userId: t.id({ resolve: (member) => member.user.id }),
    email: t.string({ resolve: (member) => member.user.email }),
    displayName: t.string({ nullable: true, resolve: (member) => member.user.displayName ?? null }),
    role: t.field({
      type: OrganizationRoleRef,
      nullable: true,
      description: 'Null when the role is no longer declared (the member then holds no permission there).',
      resolve: (member, _args, ctx) => ctx.services.organizationRoles.role(member.role) ?? null,
    }),
    roleName: t.exposeString('role', { description: 'The role’s name as stored.' }),
    joinedAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const OrganizationInvitationRef = builder.objectRef<OrganizationInvitation>('OrganizationInvitation').implement({
  description: 'A pending invitation by email. The link’s token is never readable.',
  authScopes: describedRule(
    'organization permission `invitations:read` or `invitations:write` in the invitation’s organization',
    (invitation: OrganizationInvitation) => ({
      $any: {
        ...inOrganization(invitation.organization.id, ORG_PERMISSIONS.invitationsRead),
        // Two keys of one scope cannot sit in one object: the second goes under its own $any.
        $any: inOrganization(invitation.organization.id, ORG_PERMISSIONS.invitationsWrite),
      },
    }),
  ),
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    role: t.exposeString('role'),
    invitedByEmail: t.string({ nullable: true, resolve: (invitation) => invitation.invitedBy?.email ?? null }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
  }),
});

OrganizationRef.implement({
  description: 'A team of users with roles that hold inside it. Visible to its members and to holders of `organizations:read`.',
  authScopes: describedRule('a member of the organization, or permission `organizations:read`', (organization: Organization) => ({
    organizationMember: organization.id,
  })),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    slug: t.exposeString('slug'),
    joinDomain: t.exposeString('joinDomain', {
      nullable: true,
      description: 'Users whose confirmed email is at this domain may join as members (`joinOrganization`); null: by invitation only.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    viewerRole: t.field({
      type: OrganizationRoleRef,
      nullable: true,
      description: 'The viewer’s role here; null when they see it without being a member (`organizations:read`).',
      resolve: (organization, _args, ctx) => {
        const roleOf = (role: string | null) => (role === null ? null : (ctx.services.organizationRoles.role(role) ?? null));
        const known = ctx.loadOrganizationAccess.knownRole(organization.id);
        return known !== undefined ? roleOf(known) : ctx.loadOrganizationAccess(organization.id).then((access) => roleOf(access.role));
      },
    }),
    viewerPermissions: t.stringList({
      description: 'The organization permissions the viewer holds here (what a front end may offer).',
      resolve: async (organization, _args, ctx) => {
        const access = await ctx.loadOrganizationAccess(organization.id);
        return (await access.held(ctx.services.organizationRoles.permissions.map((p) => p.name))).sort();
      },
    }),
    memberCount: t.int({
      authScopes: orgPermission(ORG_PERMISSIONS.membersRead),
      resolve: (organization, _args, ctx) => memberCount(ctx.em, organization.id),
    }),
    members: t.connection(
      {
        type: OrganizationMemberRef,
        authScopes: orgPermission(ORG_PERMISSIONS.membersRead),
        description: `Members, in the order they joined. Forward only (\`first\`, \`after\`); pages hold at most ${PAGE_MAX}.`,
        resolve: async (organization, args, ctx) => {
          const page = await listMembers(ctx.em, organization.id, args);
          return connection(page.items, page.hasNextPage, memberCursor);
        },
      },
      { name: 'OrganizationMemberConnection' },
      { name: 'OrganizationMemberEdge' },
    ),
    invitations: t.field({
      type: [OrganizationInvitationRef],
      authScopes: orgPermission(ORG_PERMISSIONS.invitationsRead),
      description: 'Pending invitations (not accepted, revoked or expired), newest first.',
      resolve: (organization, _args, ctx) => listInvitations(ctx.em, organization.id, ctx.services.clock.now()),
    }),
  }),
});

function connection<T extends { createdAt: Date; id: string }>(items: T[], hasNextPage: boolean, cursor: (item: T) => string) {
  const edges = items.map((node) => ({ cursor: cursor(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

const JoinableOrganizationRef = builder.objectRef<Organization>('JoinableOrganization').implement({
  description: 'An organization the viewer may join by their confirmed email domain (`joinOrganization`).',
  authScopes: { authenticated: true },
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name'), slug: t.exposeString('slug') }),
});

const onlySelf = describedRule('the account itself', (user: User) => ({ self: user.id }));

builder.objectFields(UserRef, (t) => ({
  organizations: t.field({
    type: [OrganizationRef],
    authScopes: onlySelf,
    description: 'The organizations the account belongs to, oldest membership first (for a token limited to one organization: that one).',
    resolve: async (user, _args, ctx) => (await userMemberships(ctx, user.id)).map((m) => m.organization),
  }),
  activeOrganization: t.field({
    type: OrganizationRef,
    nullable: true,
    authScopes: onlySelf,
    description:
      'The organization this session acts in (`setActiveOrganization`), while the account is a member of it; for a token limited to ' +
      'one organization, that one; else null.',
    resolve: (user, _args, ctx, info) => {
      if (user.id !== ctx.viewer?.id) return null;
      // The statement read the role too: the Organization's rule and viewerRole need no other lookup.
      const shown = (active: { organization: Organization; role: string } | null) => {
        if (!active) return null;
        ctx.loadOrganizationAccess.prime(active.organization.id, active.role);
        return active.organization;
      };
      // A query changes nothing: the one read with the session is current (and answers at once). A mutation may have changed it.
      const read = info.operation.operation === 'query' ? activeOrganizationAsAuthenticated(ctx) : undefined;
      return read !== undefined ? shown(read) : activeOrganization(ctx).then(shown);
    },
  }),
  joinableOrganizations: t.field({
    type: [JoinableOrganizationRef],
    authScopes: onlySelf,
    description: 'Organizations open to the account’s confirmed email domain that it is not in yet.',
    resolve: (user, _args, ctx) => joinableOrganizations(ctx, user),
  }),
}));

builder.queryFields((t) => ({
  organization: t.field({
    type: OrganizationRef,
    authScopes: describedRule('a member of the organization, or permission `organizations:read`', (_root: unknown, args: { id: string }) => ({
      organizationMember: String(args.id),
    })),
    description: 'The organization with this id. FORBIDDEN for an organization the viewer is not in (whether or not it exists).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getOrganization(ctx.em, String(id)),
  }),
  organizations: t.connection(
    {
      type: OrganizationRef,
      authScopes: { permission: PERMISSIONS.organizationsRead },
      description: `Every organization, oldest first (admin view). Forward only; pages hold at most ${PAGE_MAX}.`,
      args: { search: t.arg.string({ required: false, description: 'Part of the name or slug (any case).' }) },
      resolve: async (_root, args, ctx) => {
        const page = await listOrganizations(ctx.em, args);
        return connection(page.items, page.hasNextPage, organizationCursor);
      },
    },
    { name: 'OrganizationConnection' },
    { name: 'OrganizationEdge' },
  ),
  organizationRoles: t.field({
    type: [OrganizationRoleRef],
    authScopes: { authenticated: true },
    description: 'Every organization role: declared in code, then those made over the API (the same in every organization).',
    resolve: (_root, _args, ctx) => [...ctx.services.organizationRoles.roles],
  }),
  organizationPermissions: t.field({
    type: [OrganizationPermissionRef],
    authScopes: { authenticated: true },
    description: 'Every organization permission the server declares.',
    resolve: (_root, _args, ctx) => [...ctx.services.organizationRoles.permissions],
  }),
}));
