// Organizations: teams of users, their memberships (with an organization role), invitations by
// email (only the SHA-256 of the link's token is stored) and each session's active organization.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from '../accounts/entities.ts';
import { Session } from '../sessions/entities.ts';

export const Organization = defineEntity({
  name: 'Organization',
  tableName: 'organizations',
  // The admin list pages by keyset on (created_at, id).
  indexes: [{ properties: ['createdAt', 'id'] }],
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    name: p.string().length(100),
    /** Lower-case letters, digits and single hyphens; unique, for URLs. */
    slug: p.string().length(64).unique(),
    /** Users whose confirmed email is at this domain may join as members (`joinOrganization`); null: invitation only. */
    joinDomain: p.string().length(253).nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type Organization = InferEntity<typeof Organization>;

/** An organization role made over the API (`createOrganizationRole`); roles declared in code are not stored. */
export const OrganizationRoleDefinition = defineEntity({
  name: 'OrganizationRoleDefinition',
  tableName: 'organization_roles',
  properties: {
    name: p.string().primary().length(64),
    description: p.string().length(500),
    /** Organization permission names, sorted. */
    permissions: p.json<string[]>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type OrganizationRoleDefinition = InferEntity<typeof OrganizationRoleDefinition>;

export const OrganizationMember = defineEntity({
  name: 'OrganizationMember',
  tableName: 'organization_members',
  uniques: [{ properties: ['organization', 'user'] }],
  // Members are listed by keyset on (organization, created_at, id); a user's organizations by user.
  indexes: [{ properties: ['organization', 'createdAt', 'id'] }, { properties: ['user'] }],
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    organization: () => p.manyToOne(Organization).deleteRule('cascade'),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    /** An organization role name (organizations/declarations.ts); exactly one member holds `owner`. */
    role: p.string().length(64),
    createdAt: p.datetime(),
  },
});
export type OrganizationMember = InferEntity<typeof OrganizationMember>;

export const OrganizationInvitation = defineEntity({
  name: 'OrganizationInvitation',
  tableName: 'organization_invitations',
  indexes: [{ properties: ['organization', 'emailKey'] }, { properties: ['invitedBy', 'createdAt'] }],
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    organization: () => p.manyToOne(Organization).deleteRule('cascade'),
    /** The address invited, as typed (normalised) and lower-cased for matching. */
    email: p.string().length(320),
    emailKey: p.string().length(320),
    role: p.string().length(64),
    tokenHash: p.string().length(64).unique().hidden(),
    invitedBy: () => p.manyToOne(User).nullable().deleteRule('set null'),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
    acceptedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});
export type OrganizationInvitation = InferEntity<typeof OrganizationInvitation>;

/** The organization a session acts in (`setActiveOrganization`); gone with the session or the organization. */
export const ActiveOrganization = defineEntity({
  name: 'ActiveOrganization',
  tableName: 'active_organizations',
  properties: {
    session: () => p.oneToOne(Session).primary().owner().deleteRule('cascade'),
    organization: () => p.manyToOne(Organization).deleteRule('cascade').index(),
  },
});
export type ActiveOrganization = InferEntity<typeof ActiveOrganization>;
