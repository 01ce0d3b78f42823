// GraphQL mutations of organizations. Each one's rule names the organization permission it needs in
// the organization of its input, checked before anything is looked up (a stranger gets FORBIDDEN for
// any id); deleting an organization and transferring ownership also need a recent sign-in (step-up).
import { builder } from '../schema/builder.ts';
import type { Context } from '../context.ts';
import { describedRule } from '../schema/auth-rules.ts';
import { InvalidTokenError, NameTakenError, TokenExpiredError, ValidationFailedError } from '../errors.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { ORG_PERMISSIONS } from './declarations.ts';
import * as organizations from './service.ts';
import { acceptInvitation, inviteToOrganization, revokeInvitations } from './invitations.ts';
import { inOrganization, OrganizationMemberRef, OrganizationRef } from './graphql.ts';
import type { OrganizationInvitation } from './entities.ts';
import { AlreadyMemberError, InvitationEmailMismatchError, OwnerRequiredError } from './errors.ts';

type WithOrganization = { input: { organizationId: string | number } };

/** A rule on the organization named by `input.organizationId`. */
const inInputOrganization = (permission: string, stepUp = false) =>
  describedRule(
    `organization permission \`${permission}\` in the input’s organization${stepUp ? ', and a recent sign-in (else REAUTHENTICATION_REQUIRED)' : ''}`,
    (_root: unknown, args: WithOrganization) =>
      stepUp
        ? { $all: { ...inOrganization(String(args.input.organizationId), permission), recentSignIn: true } }
        : inOrganization(String(args.input.organizationId), permission),
  );

const memberOfInputOrganization = describedRule('a member of the input’s organization', (_root: unknown, args: WithOrganization) => ({
  organizationMember: String(args.input.organizationId),
}));

const mayCreate = describedRule('signed in (ORGANIZATION_CREATION=anyone), or permission `organizations:create`', () => ({
  $any: {
    check: (ctx: Context) => ctx.viewer !== null && ctx.services.config.organizations.creation === 'anyone',
    permission: PERMISSIONS.organizationsCreate,
  },
}));

const DeletedOrganizationRef = builder.objectRef<{ id: string; name: string; slug: string }>('DeletedOrganization').implement({
  description: 'The organization was deleted with its memberships and invitations.',
  authScopes: { authenticated: true },
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name'), slug: t.exposeString('slug') }),
});

const RemovedMemberRef = builder.objectRef<{ organizationId: string; userId: string }>('RemovedMember').implement({
  description: 'The account is no longer a member of the organization.',
  authScopes: { authenticated: true },
  fields: (t) => ({ organizationId: t.exposeID('organizationId'), userId: t.exposeID('userId') }),
});

const RevokedInvitationsRef = builder.objectRef<{ email: string; count: number }>('RevokedInvitations').implement({
  description: 'Pending invitations to the address no longer work; `count` says how many there were (0 is no error).',
  authScopes: { authenticated: true },
  fields: (t) => ({ email: t.exposeString('email'), count: t.exposeInt('count') }),
});

const SentInvitationRef = builder.objectRef<OrganizationInvitation>('SentInvitation').implement({
  description:
    'The invitation was emailed. The answer is the same whether or not the address has an account (or is a member already).',
  authScopes: { authenticated: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    role: t.exposeString('role'),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
  }),
});

const ActiveOrganizationChoiceRef = builder.objectRef<{ organization: unknown }>('ActiveOrganizationChoice').implement({
  description: 'The session’s active organization now (null: none).',
  authScopes: { authenticated: true },
  fields: (t) => ({
    organization: t.field({ type: OrganizationRef, nullable: true, resolve: (choice) => choice.organization as never }),
  }),
});

/** Runs a change of roles in an organization; what the result shows of the viewer's role there is read afresh. */
async function changingAccess<T>(ctx: Context, organizationId: string, change: () => Promise<T>): Promise<T> {
  const result = await change();
  ctx.loadOrganizationAccess.forget(organizationId);
  return result;
}

builder.mutationFields((t) => ({
  createOrganization: t.fieldWithInput({
    type: OrganizationRef,
    nullable: true,
    authScopes: mayCreate,
    description: 'Creates an organization; the viewer becomes its owner. Audited as `organization.create`.',
    errors: { types: [ValidationFailedError, NameTakenError] },
    input: {
      name: t.input.string({ required: true, description: 'Up to 100 characters, one line.' }),
      slug: t.input.string({ required: true, description: 'Unique: 2–64 lower-case letters and digits with single hyphens, e.g. `acme-labs`.' }),
    },
    resolve: (_root, { input }, ctx) => organizations.createOrganization(ctx, input),
  }),
  updateOrganization: t.fieldWithInput({
    type: OrganizationRef,
    nullable: true,
    authScopes: inInputOrganization(ORG_PERMISSIONS.organizationWrite),
    description:
      'Renames the organization, changes its slug or its join domain (omitted fields stay; a null or empty join domain turns joining ' +
      'by domain off). A join domain must be the domain of your own confirmed address (any, with `organizations:write`).',
    errors: { types: [ValidationFailedError, NameTakenError] },
    input: {
      organizationId: t.input.id({ required: true }),
      name: t.input.string({ required: false }),
      slug: t.input.string({ required: false }),
      joinDomain: t.input.string({ required: false, description: 'E.g. `example.com`.' }),
    },
    resolve: (_root, { input: { organizationId: id, ...changes } }, ctx) => organizations.updateOrganization(ctx, String(id), changes),
  }),
  deleteOrganization: t.fieldWithInput({
    type: DeletedOrganizationRef,
    nullable: true,
    authScopes: inInputOrganization(ORG_PERMISSIONS.organizationDelete, true),
    description: 'Deletes the organization with its memberships and invitations (the owner, or `organizations:write`). Step-up.',
    errors: { types: [] },
    input: { organizationId: t.input.id({ required: true }) },
    resolve: (_root, { input }, ctx) => organizations.deleteOrganization(ctx, String(input.organizationId)),
  }),
  inviteToOrganization: t.fieldWithInput({
    type: SentInvitationRef,
    nullable: true,
    authScopes: inInputOrganization(ORG_PERMISSIONS.invitationsWrite),
    description:
      'Emails a single-use link (INVITATION_TTL, default 7 days) to join with a role (default `member`; not `owner`, and only a role ' +
      'whose permissions you hold). Replaces a pending invitation to the same address. At most INVITATIONS_PER_HOUR per inviter ' +
      '(RATE_LIMITED). The answer never tells whether the address has an account.',
    errors: { types: [ValidationFailedError] },
    input: {
      organizationId: t.input.id({ required: true }),
      email: t.input.string({ required: true }),
      role: t.input.string({ required: false, description: 'An organization role name; default `member`.' }),
    },
    resolve: (_root, { input: { organizationId: id, ...invite } }, ctx) => inviteToOrganization(ctx, String(id), invite),
  }),
  revokeInvitation: t.fieldWithInput({
    type: RevokedInvitationsRef,
    nullable: true,
    authScopes: inInputOrganization(ORG_PERMISSIONS.invitationsWrite),
    description: 'Revokes the pending invitations to an address: their links stop working at once.',
    errors: { types: [ValidationFailedError] },
    input: { organizationId: t.input.id({ required: true }), email: t.input.string({ required: true }) },
    resolve: (_root, { input }, ctx) => revokeInvitations(ctx, String(input.organizationId), input.email),
  }),
  acceptInvitation: t.fieldWithInput({
    type: OrganizationMemberRef,
    nullable: true,
    authScopes: { authenticated: true },
    description:
      'Accepts an invitation with the token from its link, signed in as the account of the invited address (sign up with it first when ' +
      'there is none). Each link works once; it also confirms the address.',
    errors: { types: [InvalidTokenError, TokenExpiredError, InvitationEmailMismatchError, AlreadyMemberError] },
    input: { token: t.input.string({ required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const member = await acceptInvitation(ctx, input.token);
      ctx.loadOrganizationAccess.forget(member.organization.id);
      return member;
    },
  }),
  joinOrganization: t.fieldWithInput({
    type: OrganizationMemberRef,
    nullable: true,
    authScopes: { authenticated: true },
    description:
      'Joins as a `member` an organization whose join domain is the domain of your confirmed address (see `viewer.joinableOrganizations`). ' +
      'FORBIDDEN otherwise, the same for an unknown id.',
    errors: { types: [AlreadyMemberError] },
    input: { organizationId: t.input.id({ required: true }) },
    resolve: (_root, { input }, ctx) => changingAccess(ctx, String(input.organizationId), () => organizations.joinOrganization(ctx, String(input.organizationId))),
  }),
  setMemberRole: t.fieldWithInput({
    type: OrganizationMemberRef,
    nullable: true,
    authScopes: inInputOrganization(ORG_PERMISSIONS.membersWrite),
    description:
      'Gives a member another role (not `owner`: see transferOwnership; and only a role whose permissions you hold). NOT_FOUND when the ' +
      'account is not a member.',
    errors: { types: [ValidationFailedError, OwnerRequiredError] },
    input: { organizationId: t.input.id({ required: true }), userId: t.input.id({ required: true }), role: t.input.string({ required: true }) },
    resolve: (_root, { input }, ctx) =>
      changingAccess(ctx, String(input.organizationId), () => organizations.setMemberRole(ctx, String(input.organizationId), String(input.userId), input.role)),
  }),
  removeMember: t.fieldWithInput({
    type: RemovedMemberRef,
    nullable: true,
    authScopes: inInputOrganization(ORG_PERMISSIONS.membersWrite),
    description: 'Removes a member (never the owner). NOT_FOUND when the account is not a member.',
    errors: { types: [OwnerRequiredError] },
    input: { organizationId: t.input.id({ required: true }), userId: t.input.id({ required: true }) },
    resolve: (_root, { input }, ctx) => organizations.removeMember(ctx, String(input.organizationId), String(input.userId)),
  }),
  leaveOrganization: t.fieldWithInput({
    type: RemovedMemberRef,
    nullable: true,
    authScopes: memberOfInputOrganization,
    description: 'Leaves the organization (the owner transfers ownership first: OwnerRequiredError).',
    errors: { types: [OwnerRequiredError] },
    input: { organizationId: t.input.id({ required: true }) },
    resolve: (_root, { input }, ctx) => organizations.leaveOrganization(ctx, String(input.organizationId)),
  }),
  transferOwnership: t.fieldWithInput({
    type: OrganizationRef,
    nullable: true,
    authScopes: inInputOrganization(ORG_PERMISSIONS.ownershipTransfer, true),
    description:
      'Makes another member the owner; you become an `admin`. Of two transfers at once exactly one succeeds (the other is FORBIDDEN): ' +
      'an organization always has exactly one owner. Step-up.',
    errors: { types: [ValidationFailedError, OwnerRequiredError] },
    input: { organizationId: t.input.id({ required: true }), userId: t.input.id({ required: true }) },
    resolve: (_root, { input }, ctx) =>
      changingAccess(ctx, String(input.organizationId), () => organizations.transferOwnership(ctx, String(input.organizationId), String(input.userId))),
  }),
  setActiveOrganization: t.fieldWithInput({
    type: ActiveOrganizationChoiceRef,
    nullable: true,
    authScopes: { authenticated: true },
    description:
      'Chooses the organization this session acts in (shown as `viewer.activeOrganization`), or none with a null id. Sessions only. ' +
      'NOT_FOUND for an organization you are not a member of.',
    errors: { types: [] },
    input: { organizationId: t.input.id({ required: false }) },
    resolve: async (_root, { input }, ctx) => ({
      organization: await organizations.setActiveOrganization(ctx, input.organizationId == null ? null : String(input.organizationId)),
    }),
  }),
}));
