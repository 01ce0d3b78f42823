// Invitations by email: a single-use, expiring link whose token is stored only as its SHA-256.
// Inviting never looks the address up, so the answer (and the email sent) is the same whether or
// not it has an account. The invitee signs up or signs in with that address, then accepts.
import type { EntityManager } from '@mikro-orm/sql';
import { emailLink } from '../config/index.ts';
import { forbidden, InvalidTokenError, notFound, RateLimitedError, TokenExpiredError, ValidationFailedError } from '../errors.ts';
import { User } from '../accounts/entities.ts';
import { checkEmail, emailKey, normalizeEmail } from '../util/email.ts';
import { generateToken, hashToken } from '../util/secrets.ts';
import { lockInTransaction } from '../db/locks.ts';
import { organizationInvitationMessage } from '../mail/templates.ts';
import { Organization, OrganizationInvitation, OrganizationMember } from './entities.ts';
import { addMember, assertMayGrant, assertNotLimitedToAnother, assignableRole, audit, getOrganization, ORGANIZATION_AUDIT, type OrganizationScope } from './service.ts';
import { memberRole } from './access.ts';
import { AlreadyMemberError, InvitationEmailMismatchError } from './errors.ts';

/** Pending invitations an organization may have at once (a bound on `Organization.invitations`). */
export const MAX_PENDING_INVITATIONS = 500;
const HOUR_MS = 3_600_000;

export interface InviteInput {
  email: string;
  role?: string | null;
}

const pending = (now: Date) => ({ acceptedAt: null, revokedAt: null, expiresAt: { $gt: now } });

/** Pending invitations, newest first. */
export async function listInvitations(em: EntityManager, organizationId: string, now: Date): Promise<OrganizationInvitation[]> {
  return em.find(OrganizationInvitation, { organization: organizationId, ...pending(now) }, {
    orderBy: { createdAt: 'desc', id: 'desc' },
    limit: MAX_PENDING_INVITATIONS,
    populate: ['invitedBy'],
  });
}

/**
 * Invites an address with a role (default `member`; never `owner`), replacing a pending invitation
 * to the same address. Each user sends at most INVITATIONS_PER_HOUR invitations an hour (RATE_LIMITED).
 */
export async function inviteToOrganization(scope: OrganizationScope, organizationId: string, input: InviteInput): Promise<OrganizationInvitation> {
  const { em, services } = scope;
  const inviter = scope.viewer;
  if (!inviter) throw forbidden('Sign in to invite.');
  await services.throttle.consumeIpBudget(scope.ip);
  const email = normalizeEmail(input.email);
  const emailProblem = checkEmail(email);
  if (emailProblem) throw ValidationFailedError.field('email', emailProblem);
  const role = assignableRole(services.organizationRoles, input.role ?? 'member');
  await assertMayGrant(scope, organizationId, role);
  const organization = await getOrganization(em, organizationId);
  const token = generateToken();
  const now = services.clock.now();
  const invitation = await em.transactional(async (tx) => {
    // The hourly budget and the pending bound are counted under a lock, so parallel requests cannot overspend them.
    await lockInTransaction(tx, `invitations:${inviter.id}`);
    const sent = await tx.count(OrganizationInvitation, { invitedBy: inviter.id, createdAt: { $gt: new Date(now.getTime() - HOUR_MS) } });
    if (sent >= services.config.organizations.invitationsPerHour) throw new RateLimitedError(HOUR_MS / 1000);
    const key = emailKey(email);
    await tx.nativeUpdate(OrganizationInvitation, { organization: organizationId, emailKey: key, ...pending(now) }, { revokedAt: now });
    if ((await tx.count(OrganizationInvitation, { organization: organizationId, ...pending(now) })) >= MAX_PENDING_INVITATIONS) {
      throw ValidationFailedError.field('email', `The organization has ${MAX_PENDING_INVITATIONS} pending invitations; revoke some first.`);
    }
    const created = tx.create(OrganizationInvitation, {
      organization,
      email,
      emailKey: key,
      role: role.name,
      tokenHash: hashToken(token),
      invitedBy: inviter,
      createdAt: now,
      expiresAt: new Date(now.getTime() + services.config.organizations.invitationTtlMs),
      acceptedAt: null,
      revokedAt: null,
    });
    await tx.flush();
    await audit({ ...scope, em: tx }, organizationId, ORGANIZATION_AUDIT.invite, { email, role: role.name, invitationId: created.id });
    return created;
  });
  const link = emailLink(services.config, 'acceptInvitation', token);
  const days = Math.max(1, Math.round(services.config.organizations.invitationTtlMs / 86_400_000));
  const message = organizationInvitationMessage(email, organization.name, inviter.displayName ?? inviter.email, link, days);
  services.background.run('send organization invitation', () => services.mailer.send(message));
  return invitation;
}

/** Revokes every pending invitation to an address; how many there were (0 is not an error). */
export async function revokeInvitations(scope: OrganizationScope, organizationId: string, rawEmail: string): Promise<{ email: string; count: number }> {
  const email = normalizeEmail(rawEmail);
  const emailProblem = checkEmail(email);
  if (emailProblem) throw ValidationFailedError.field('email', emailProblem);
  await getOrganization(scope.em, organizationId);
  const now = scope.services.clock.now();
  const count = await scope.em.nativeUpdate(OrganizationInvitation, { organization: organizationId, emailKey: emailKey(email), ...pending(now) }, { revokedAt: now });
  await audit(scope, organizationId, ORGANIZATION_AUDIT.revokeInvitation, { email, count });
  return { email, count };
}

/**
 * The pending invitation a link's token names (with its organization), read without using it:
 * InvalidTokenError when unknown, used or revoked, TokenExpiredError when expired.
 */
export async function pendingInvitation(em: EntityManager, token: string, now: Date): Promise<OrganizationInvitation> {
  if (token.length < 20 || token.length > 200) throw new InvalidTokenError();
  const invitation = await em.findOne(OrganizationInvitation, { tokenHash: hashToken(token) }, { populate: ['organization'] });
  if (!invitation || invitation.acceptedAt || invitation.revokedAt) throw new InvalidTokenError();
  if (invitation.expiresAt <= now) throw new TokenExpiredError();
  return invitation;
}

/**
 * Accepts an invitation for the signed-in account whose address it was sent to: a membership with
 * the invited role. The link proves the mailbox, so an unconfirmed address is confirmed too.
 * Using it is one conditional UPDATE: two acceptances at once succeed exactly once.
 */
export async function acceptInvitation(scope: OrganizationScope, token: string): Promise<OrganizationMember> {
  const { em, services } = scope;
  const viewer = scope.viewer;
  if (!viewer) throw forbidden('Sign in (or sign up with the invited address) first.');
  assertNotLimitedToAnother(scope);
  await services.throttle.consumeIpBudget(scope.ip);
  const now = services.clock.now();
  const invitation = await pendingInvitation(em, token, now);
  if (invitation.emailKey !== viewer.emailKey) throw new InvitationEmailMismatchError();
  const organizationId = invitation.organization.id;
  if ((await memberRole(scope, organizationId, viewer.id)) !== null) throw new AlreadyMemberError();
  const role = services.organizationRoles.role(invitation.role) ? invitation.role : 'member';
  const member = await em.transactional(async (tx) => {
    const used = await tx.nativeUpdate(OrganizationInvitation, { id: invitation.id, acceptedAt: null, revokedAt: null }, { acceptedAt: now });
    if (used !== 1) throw new InvalidTokenError();
    const organization = await tx.findOne(Organization, { id: organizationId });
    if (!organization) throw notFound('Organization');
    const added = await addMember(tx, organization, viewer, role, now);
    if (!viewer.emailConfirmedAt) await tx.nativeUpdate(User, { id: viewer.id }, { emailConfirmedAt: now });
    await audit({ ...scope, em: tx }, organizationId, ORGANIZATION_AUDIT.acceptInvitation, { invitationId: invitation.id, role });
    return added;
  });
  if (!viewer.emailConfirmedAt) viewer.emailConfirmedAt = now;
  return member;
}
