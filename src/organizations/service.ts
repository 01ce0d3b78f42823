// Organization rules: creating, editing and deleting organizations; members, their roles, leaving
// and removal; ownership transfer (an organization always has exactly one owner); joining by email
// domain; each session's active organization. Services know nothing of GraphQL. Every change is
// audited with the organization's id.
import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/sql';
import { isOperator, type Context, type RequestScope } from '../context.ts';
import { recordAudit } from '../audit/service.ts';
import { AccessError, forbidden, NameTakenError, notFound, ValidationFailedError, type FieldProblem } from '../errors.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { User } from '../accounts/entities.ts';
import { lockInTransaction } from '../db/locks.ts';
import { findRow } from '../db/hot-queries.ts';
import type { SessionLookupJoin } from '../sessions/service.ts';
import { singleLineProblem } from '../validation/text.ts';
import { ActiveOrganization, Organization, OrganizationMember } from './entities.ts';
import { MEMBER_ROLE, ORG_ADMIN_ROLE, OWNER_ROLE, type OrganizationRole, type OrganizationRoleCatalog } from './declarations.ts';
import { credentialOrganizationId, memberRole } from './access.ts';
import { AlreadyMemberError, OwnerRequiredError } from './errors.ts';

/** A request scope that can also read the viewer's access in an organization (a GraphQL context has it). */
export type OrganizationScope = RequestScope & Pick<Context, 'loadOrganizationAccess'>;

export const ORGANIZATION_AUDIT = {
  create: 'organization.create',
  update: 'organization.update',
  delete: 'organization.delete',
  join: 'organization.join',
  leave: 'organization.leave',
  memberRole: 'organization.member_role',
  memberRemove: 'organization.member_remove',
  transferOwnership: 'organization.transfer_ownership',
  invite: 'organization.invite',
  revokeInvitation: 'organization.revoke_invitation',
  acceptInvitation: 'organization.accept_invitation',
} as const;

const NAME_MAX = 100;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SLUG_MAX = 64;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** How many organizations one user may belong to (a bound on `viewer.organizations`). */
export const MAX_MEMBERSHIPS = 200;

export interface CreateOrganizationInput {
  name: string;
  slug: string;
}

/** Omitted fields stay as they are; a null or empty join domain turns joining by domain off. */
export interface UpdateOrganizationInput {
  name?: string | null;
  slug?: string | null;
  joinDomain?: string | null;
}

// ---- reading -------------------------------------------------------------------------------

export async function findOrganization(em: EntityManager, id: string): Promise<Organization | null> {
  return em.findOne(Organization, { id });
}

/** The organization, or NOT_FOUND (rules let only members and global readers get this far). */
export async function getOrganization(em: EntityManager, id: string): Promise<Organization> {
  const organization = await findOrganization(em, id);
  if (!organization) throw notFound('Organization');
  return organization;
}

/** The user's memberships, oldest first; for a token limited to one organization, only that one. */
export async function userMemberships(scope: Pick<RequestScope, 'em' | 'credential'>, userId: string): Promise<OrganizationMember[]> {
  const limitedTo = credentialOrganizationId(scope);
  const where: FilterQuery<OrganizationMember> = { user: userId, ...(limitedTo ? { organization: limitedTo } : {}) };
  return scope.em.find(OrganizationMember, where, { populate: ['organization'], orderBy: { createdAt: 'asc', id: 'asc' }, limit: MAX_MEMBERSHIPS });
}

export async function memberCount(em: EntityManager, organizationId: string): Promise<number> {
  return em.count(OrganizationMember, { organization: organizationId });
}

// ---- creating, editing, deleting -----------------------------------------------------------

export async function createOrganization(scope: RequestScope, input: CreateOrganizationInput): Promise<Organization> {
  const { em, services } = scope;
  const owner = scope.viewer;
  if (!owner) throw forbidden('Sign in to create an organization.');
  assertNotLimitedToAnother(scope);
  const problems: FieldProblem[] = [];
  const name = checkName(input.name, problems);
  const slug = checkSlug('slug', input.slug, problems);
  if ((await em.count(OrganizationMember, { user: owner.id })) >= MAX_MEMBERSHIPS) {
    problems.push({ field: 'name', messages: [`You belong to ${MAX_MEMBERSHIPS} organizations, the most there can be; leave one first.`] });
  }
  if (problems.length) throw new ValidationFailedError(problems);
  if (await em.findOne(Organization, { slug }, { fields: ['id'] })) throw new NameTakenError('organization', slug);
  const now = services.clock.now();
  const organization = await uniqueWrite(
    () =>
      em.transactional(async (tx) => {
        const created = tx.create(Organization, { name, slug, joinDomain: null, createdAt: now, updatedAt: now });
        tx.create(OrganizationMember, { organization: created, user: owner.id, role: OWNER_ROLE, createdAt: now });
        await tx.flush();
        return created;
      }),
    () => new NameTakenError('organization', slug),
  );
  await audit(scope, organization.id, ORGANIZATION_AUDIT.create, { name, slug });
  return organization;
}

export async function updateOrganization(scope: RequestScope, organizationId: string, input: UpdateOrganizationInput): Promise<Organization> {
  const { em, services } = scope;
  const organization = await getOrganization(em, organizationId);
  const problems: FieldProblem[] = [];
  if (input.name === null) problems.push({ field: 'name', messages: ['Enter a name, or leave the field out.'] });
  if (input.slug === null) problems.push({ field: 'slug', messages: ['Enter a slug, or leave the field out.'] });
  const name = input.name == null ? organization.name : checkName(input.name, problems);
  const slug = input.slug == null ? organization.slug : checkSlug('slug', input.slug, problems);
  const joinDomain = input.joinDomain === undefined ? organization.joinDomain : await checkJoinDomain(scope, input.joinDomain, problems);
  if (problems.length) throw new ValidationFailedError(problems);
  if (slug !== organization.slug && (await em.findOne(Organization, { slug }, { fields: ['id'] }))) throw new NameTakenError('organization', slug);
  const before = { name: organization.name, slug: organization.slug, joinDomain: organization.joinDomain };
  Object.assign(organization, { name, slug, joinDomain, updatedAt: services.clock.now() });
  await uniqueWrite(() => em.flush(), () => new NameTakenError('organization', slug));
  const changed = Object.fromEntries(Object.entries({ name, slug, joinDomain }).filter(([key, value]) => before[key as keyof typeof before] !== value));
  await audit(scope, organization.id, ORGANIZATION_AUDIT.update, changed);
  return organization;
}

/** Deletes the organization with its memberships, invitations and the sessions' choices of it. */
export async function deleteOrganization(scope: RequestScope, organizationId: string): Promise<{ id: string; name: string; slug: string }> {
  const organization = await getOrganization(scope.em, organizationId);
  const deleted = { id: organization.id, name: organization.name, slug: organization.slug };
  const members = await memberCount(scope.em, organization.id);
  // Foreign keys cascade: members, invitations and active choices go with it.
  await scope.em.remove(organization).flush();
  await audit(scope, deleted.id, ORGANIZATION_AUDIT.delete, { name: deleted.name, slug: deleted.slug, members });
  return deleted;
}

// ---- members -------------------------------------------------------------------------------

async function getMember(em: EntityManager, organizationId: string, userId: string): Promise<OrganizationMember> {
  const member = await em.findOne(OrganizationMember, { organization: organizationId, user: userId }, { populate: ['user'] });
  if (!member) throw notFound('Member');
  return member;
}

/**
 * Gives a member another role (not `owner`: ownership moves with transferOwnership). Nobody hands
 * out a role holding an organization permission they lack, and the owner's role does not change here.
 */
export async function setMemberRole(scope: OrganizationScope, organizationId: string, userId: string, roleName: string): Promise<OrganizationMember> {
  const role = assignableRole(scope.services.organizationRoles, roleName);
  const member = await getMember(scope.em, organizationId, userId);
  if (member.role === OWNER_ROLE) throw new OwnerRequiredError('The owner keeps the role `owner`: transfer ownership to change it.');
  // Both ways: taking a role away is as much a use of its permissions as handing it out.
  await assertMayGrant(scope, organizationId, role);
  await assertMayGrant(scope, organizationId, scope.services.organizationRoles.role(member.role));
  const from = member.role;
  // Conditional: an owner made meanwhile (a transfer) is never demoted by a stale read.
  const updated = await scope.em.nativeUpdate(OrganizationMember, { id: member.id, role: { $ne: OWNER_ROLE } }, { role: role.name });
  if (updated !== 1) throw new OwnerRequiredError('The owner keeps the role `owner`: transfer ownership to change it.');
  member.role = role.name;
  await audit(scope, organizationId, ORGANIZATION_AUDIT.memberRole, { userId, email: member.user.email, from, to: role.name });
  return member;
}

/** Removes a member (not the owner). Returns who was removed. */
export async function removeMember(scope: OrganizationScope, organizationId: string, userId: string): Promise<{ organizationId: string; userId: string }> {
  const member = await getMember(scope.em, organizationId, userId);
  if (member.role === OWNER_ROLE) throw new OwnerRequiredError('The owner cannot be removed: they transfer ownership first.');
  await assertMayGrant(scope, organizationId, scope.services.organizationRoles.role(member.role));
  const removed = await scope.em.nativeDelete(OrganizationMember, { id: member.id, role: { $ne: OWNER_ROLE } });
  if (removed !== 1) throw new OwnerRequiredError('The owner cannot be removed: they transfer ownership first.');
  await audit(scope, organizationId, ORGANIZATION_AUDIT.memberRemove, { userId, email: member.user.email, role: member.role });
  return { organizationId, userId };
}

/** The viewer leaves (the owner cannot: they transfer ownership first). */
export async function leaveOrganization(scope: RequestScope, organizationId: string): Promise<{ organizationId: string; userId: string }> {
  const viewer = requireViewer(scope);
  const role = await memberRole(scope, organizationId, viewer.id);
  if (role === null) throw notFound('Organization');
  if (role === OWNER_ROLE) throw new OwnerRequiredError('The owner cannot leave: transfer ownership to another member first.');
  const removed = await scope.em.nativeDelete(OrganizationMember, { organization: organizationId, user: viewer.id, role: { $ne: OWNER_ROLE } });
  if (removed !== 1) throw new OwnerRequiredError('The owner cannot leave: transfer ownership to another member first.');
  await audit(scope, organizationId, ORGANIZATION_AUDIT.leave, { role });
  return { organizationId, userId: viewer.id };
}

/**
 * Makes another member the owner; the previous owner becomes an `admin`. Race-safe: under a lock
 * per organization (PostgreSQL; SQLite's one writer is exclusive already), the demotion is a
 * conditional UPDATE of the row that holds `owner` now, so of two transfers at once exactly one
 * succeeds and exactly one owner remains.
 */
export async function transferOwnership(scope: RequestScope, organizationId: string, newOwnerId: string): Promise<Organization> {
  const actor = scope.viewer;
  const actingAsAdmin = isOperator(scope) || (actor !== null && (await scope.loadAccess(actor)).can(PERMISSIONS.organizationsWrite));
  const outcome = await scope.em.transactional(async (tx) => {
    await lockInTransaction(tx, `organization-owner:${organizationId}`);
    const organization = await tx.findOne(Organization, { id: organizationId });
    if (!organization) throw notFound('Organization');
    const owner = await tx.findOne(OrganizationMember, { organization: organizationId, role: OWNER_ROLE }, { populate: ['user'] });
    if (!owner) throw new OwnerRequiredError('The organization has no owner.');
    // The rule let the owner in; a transfer that won meanwhile made them an admin.
    if (!actingAsAdmin && owner.user.id !== actor?.id) throw forbidden('Only the owner can transfer ownership (it may have moved meanwhile).');
    if (owner.user.id === newOwnerId) throw ValidationFailedError.field('userId', 'This member is the owner already.');
    const next = await tx.findOne(OrganizationMember, { organization: organizationId, user: newOwnerId }, { populate: ['user'] });
    if (!next) throw ValidationFailedError.field('userId', 'Only a member of the organization can become its owner: invite them first.');
    const demoted = await tx.nativeUpdate(OrganizationMember, { id: owner.id, role: OWNER_ROLE }, { role: ORG_ADMIN_ROLE });
    if (demoted !== 1) throw forbidden('Ownership moved meanwhile: read the organization again.');
    await tx.nativeUpdate(OrganizationMember, { id: next.id }, { role: OWNER_ROLE });
    await audit({ ...scope, em: tx }, organizationId, ORGANIZATION_AUDIT.transferOwnership, {
      fromUserId: owner.user.id,
      fromEmail: owner.user.email,
      toUserId: next.user.id,
      toEmail: next.user.email,
    });
    return organization;
  });
  return outcome;
}

// ---- joining by email domain ---------------------------------------------------------------

/** The domain of a confirmed address, or null (an unconfirmed address proves nothing). */
function confirmedDomain(user: User): string | null {
  if (!user.emailConfirmedAt) return null;
  return user.emailKey.slice(user.emailKey.lastIndexOf('@') + 1);
}

/** Organizations the viewer may join by their confirmed email's domain and is not in yet. */
export async function joinableOrganizations(scope: Pick<RequestScope, 'em'>, user: User): Promise<Organization[]> {
  const domain = confirmedDomain(user);
  if (!domain) return [];
  return scope.em.find(
    Organization,
    { joinDomain: domain, id: { $nin: (await scope.em.find(OrganizationMember, { user: user.id }, { fields: ['organization'] })).map((m) => m.organization.id) } },
    { orderBy: { name: 'asc', id: 'asc' }, limit: 50 },
  );
}

/** Joins as a `member` by the viewer's confirmed email domain. An unknown organization and one that does not allow it answer alike. */
export async function joinOrganization(scope: RequestScope, organizationId: string): Promise<OrganizationMember> {
  const viewer = requireViewer(scope);
  assertNotLimitedToAnother(scope);
  const organization = await findOrganization(scope.em, organizationId);
  const domain = confirmedDomain(viewer);
  if (!organization || !organization.joinDomain || organization.joinDomain !== domain) {
    throw forbidden('You cannot join this organization: it takes members by invitation, or from another email domain (confirmed addresses only).');
  }
  if ((await memberRole(scope, organizationId, viewer.id)) !== null) throw new AlreadyMemberError();
  const member = await addMember(scope.em, organization, viewer, MEMBER_ROLE, scope.services.clock.now());
  await audit(scope, organizationId, ORGANIZATION_AUDIT.join, { via: 'email-domain', domain });
  return member;
}

/** Inserts a membership; a concurrent one for the same user answers ALREADY_MEMBER. */
export async function addMember(em: EntityManager, organization: Organization, user: User, role: string, now: Date): Promise<OrganizationMember> {
  if ((await em.count(OrganizationMember, { user: user.id })) >= MAX_MEMBERSHIPS) {
    throw forbidden(`You belong to ${MAX_MEMBERSHIPS} organizations, the most there can be; leave one first.`);
  }
  const member = em.create(OrganizationMember, { organization, user, role, createdAt: now });
  await uniqueWrite(() => em.flush(), () => new AlreadyMemberError());
  return member;
}

// ---- the active organization ---------------------------------------------------------------

/**
 * The session's active organization read in the session's lookup statement (sessions' port): a
 * request showing it makes no statement of its own. No membership there (any more): all null.
 */
export const ACTIVE_ORGANIZATION_JOIN: SessionLookupJoin = {
  columns:
    'm.role as "ao$role", o.id as "ao$id", o.name as "ao$name", o.slug as "ao$slug", o.join_domain as "ao$join_domain", ' +
    'o.created_at as "ao$created_at", o.updated_at as "ao$updated_at"',
  joins:
    'left join active_organizations ao on ao.session_id = s.id ' +
    'left join organization_members m on m.organization_id = ao.organization_id and m.user_id = s.user_id ' +
    'left join organizations o on o.id = m.organization_id',
};

/** The same read on its own, for one session (after a change in the request, or a session made in it). */
const ACTIVE_SQL = `select ${ACTIVE_ORGANIZATION_JOIN.columns} from sessions s ${ACTIVE_ORGANIZATION_JOIN.joins} where s.id = ?`;

type ActiveChoice = { organization: Organization; role: string };

/**
 * The active organization in a row of ACTIVE_ORGANIZATION_JOIN's columns, or null (none chosen, or
 * no membership there any more). A plain object, not a managed entity (mapping one costs more than
 * the statement): read-only use.
 */
function activeChoiceOfRow(row: Readonly<Record<string, unknown>>): ActiveChoice | null {
  const role = row['ao$role'] as string | null;
  if (role === null) return null;
  const organization = {
    id: row['ao$id'] as string,
    name: row['ao$name'] as string,
    slug: row['ao$slug'] as string,
    joinDomain: (row['ao$join_domain'] as string | null) ?? null,
    createdAt: new Date(row['ao$created_at'] as number | string),
    updatedAt: new Date(row['ao$updated_at'] as number | string),
  } as Organization;
  return { organization, role };
}

/**
 * The session's active organization as read with the session at the request's start (a query:
 * nothing changed it since), without waiting; undefined when it was not read that way.
 */
export function activeOrganizationAsAuthenticated(scope: Pick<RequestScope, 'viewer' | 'credential'>): ActiveChoice | null | undefined {
  const credential = scope.credential;
  if (credential?.kind !== 'session' || !scope.viewer || credential.session.user !== scope.viewer) return undefined;
  const joined = credential.session.joined;
  return joined && 'ao$role' in joined ? activeChoiceOfRow(joined) : undefined;
}

/**
 * The organization the request acts in: a token limited to one organization acts in it; a session
 * in the one it chose with setActiveOrganization, while the viewer is still a member. One indexed
 * statement (a query reads the session's with activeOrganizationAsAuthenticated instead).
 */
export async function activeOrganization(scope: Pick<RequestScope, 'em' | 'viewer' | 'credential'>): Promise<ActiveChoice | null> {
  const viewer = scope.viewer;
  const credential = scope.credential;
  if (!viewer || !credential) return null;
  if (credential.kind === 'token') {
    const limitedTo = credentialOrganizationId(scope);
    const role = limitedTo && (await memberRole(scope, limitedTo, viewer.id));
    const organization = role ? await findOrganization(scope.em, limitedTo) : null;
    return organization && role ? { organization, role } : null;
  }
  if (credential.kind !== 'session') return null;
  const row = await findRow(scope.em, ACTIVE_SQL, [credential.session.id]);
  return row ? activeChoiceOfRow(row) : null;
}

/** Chooses the session's active organization (a membership is required), or none with null. */
export async function setActiveOrganization(scope: RequestScope, organizationId: string | null): Promise<Organization | null> {
  const viewer = requireViewer(scope);
  if (scope.credential?.kind !== 'session') {
    throw forbidden('Only a session has an active organization (a token limited to an organization acts in that one).');
  }
  const sessionId = scope.credential.session.id;
  if (organizationId === null) {
    await scope.em.nativeDelete(ActiveOrganization, { session: sessionId });
    return null;
  }
  if ((await memberRole(scope, organizationId, viewer.id)) === null) throw notFound('Organization');
  await scope.em.transactional(async (tx) => {
    await tx.nativeDelete(ActiveOrganization, { session: sessionId });
    await tx.insert(ActiveOrganization, { session: sessionId, organization: organizationId });
  });
  return getOrganization(scope.em, organizationId);
}

// ---- rules ---------------------------------------------------------------------------------

/** An account deletion guard (accounts/deletion-guards.ts): an owner is deleted only after handing ownership on. */
export async function assertOwnsNoOrganization(em: EntityManager, userId: string): Promise<void> {
  const owned = await em.find(OrganizationMember, { user: userId, role: OWNER_ROLE }, { populate: ['organization'], limit: 5 });
  if (owned.length === 0) return;
  const names = owned.map((m) => `"${m.organization.name}"`).join(', ');
  throw new OwnerRequiredError(`This account owns ${names}: transfer ownership (or delete the organization) first.`);
}

/** A token limited to one organization neither joins nor creates another. */
export function assertNotLimitedToAnother(scope: Pick<RequestScope, 'credential'>): void {
  if (credentialOrganizationId(scope) !== null) throw forbidden('A token limited to one organization cannot join or create another.');
}

function requireViewer(scope: RequestScope): User {
  if (!scope.viewer) throw forbidden('Sign in first.');
  return scope.viewer;
}

/** A declared role other than `owner`, or VALIDATION_FAILED on `role`. */
export function assignableRole(catalog: OrganizationRoleCatalog, name: string, field = 'role'): OrganizationRole {
  const role = catalog.role(name.trim());
  if (!role) throw ValidationFailedError.field(field, `Unknown organization role "${name.trim()}". Known: ${catalog.roles.map((r) => r.name).join(', ')}.`);
  if (role.name === OWNER_ROLE) throw ValidationFailedError.field(field, 'An organization has one owner: use transferOwnership to hand it over.');
  return role;
}

/**
 * Nobody gives (or takes away) a role holding an organization permission they lack there: members:write
 * alone must not be a path to every permission.
 */
export async function assertMayGrant(scope: OrganizationScope, organizationId: string, role: OrganizationRole | undefined): Promise<void> {
  if (!role || isOperator(scope)) return;
  const access = await scope.loadOrganizationAccess(organizationId);
  const held = new Set(await access.held([...role.permissions]));
  const lacking = [...role.permissions].filter((permission) => !held.has(permission)).sort();
  if (lacking.length) throw forbidden(`The role "${role.name}" holds organization permissions you do not: ${lacking.join(', ')}.`);
}

function checkName(raw: string, problems: FieldProblem[]): string {
  const name = raw.trim();
  const problem = name.length === 0 ? 'Enter a name.' : singleLineProblem(name, NAME_MAX);
  if (problem) problems.push({ field: 'name', messages: [problem] });
  return name;
}

function checkSlug(field: string, raw: string, problems: FieldProblem[]): string {
  const slug = raw.trim();
  const problem =
    slug.length < 2 || slug.length > SLUG_MAX
      ? `Use 2 to ${SLUG_MAX} characters.`
      : !SLUG.test(slug)
        ? 'Use lower-case letters and digits, with single hyphens between them (e.g. "acme-labs").'
        : null;
  if (problem) problems.push({ field, messages: [problem] });
  return slug;
}

/**
 * A join domain must be the domain of the setter's own confirmed address (so nobody opens an
 * organization to a domain they do not belong to), unless they act with `organizations:write`.
 */
async function checkJoinDomain(scope: RequestScope, raw: string | null, problems: FieldProblem[]): Promise<string | null> {
  const domain = raw?.trim().toLowerCase() || null;
  if (domain === null) return null;
  if (!DOMAIN.test(domain)) {
    problems.push({ field: 'joinDomain', messages: ['Enter a domain name such as "example.com" (no "@", no scheme).'] });
    return domain;
  }
  const viewer = scope.viewer;
  const mayAnyDomain = isOperator(scope) || (viewer !== null && (await scope.loadAccess(viewer)).can(PERMISSIONS.organizationsWrite));
  if (!mayAnyDomain && (!viewer || confirmedDomain(viewer) !== domain)) {
    problems.push({ field: 'joinDomain', messages: ['Use the domain of your own confirmed email address.'] });
  }
  return domain;
}

/** Runs a write; a unique constraint it breaks (a concurrent twin) becomes `taken()`. */
export async function uniqueWrite<T>(write: () => Promise<T>, taken: () => Error): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw taken();
    throw error;
  }
}

export function audit(scope: Parameters<typeof recordAudit>[0], organizationId: string, action: string, details: Record<string, unknown>): Promise<void> {
  return recordAudit(scope, { action, targetType: 'organization', targetId: organizationId, organizationId, details });
}

/** Keyset position of a list ordered by (createdAt, id). */
export interface Keyset {
  createdAt: Date;
  id: string;
}

export function keysetCursor(prefix: string, row: Keyset): string {
  return Buffer.from(`${prefix}:${row.createdAt.getTime()}:${row.id}`, 'utf8').toString('base64url');
}

export function parseKeysetCursor(prefix: string, name: string, cursor: string): Keyset {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = new RegExp(`^${prefix}:(\\d{1,15}):([A-Za-z0-9-]{1,64})$`).exec(text);
  if (!match) throw new AccessError('BAD_USER_INPUT', `The \`${name}\` cursor is not valid.`);
  return { createdAt: new Date(Number(match[1])), id: match[2]! };
}
