// The right of access (GDPR art. 15): everything Gatehouse keeps about an account, as one JSON
// document the user downloads (`exportMyData`). Secrets never leave: no password hash, token or
// session hash, TOTP seed, recovery code or passkey key — only what each one is and when it was used.
import type { RequestScope } from '../context.ts';
import type { User } from '../accounts/entities.ts';
import { userAccessSummary } from '../accounts/roles.ts';
import { AuditEvent } from '../audit/entities.ts';
import { recordAudit } from '../audit/service.ts';
import { mfaStatus } from '../mfa/service.ts';
import { listLinkedAccounts } from '../oauth/service.ts';
import { listPasskeys } from '../passkeys/service.ts';
import { listSessions } from '../sessions/service.ts';
import { listAccessTokens } from '../tokens/service.ts';
import { OrganizationInvitation } from '../organizations/entities.ts';
import { userMemberships } from '../organizations/service.ts';

export const MY_DATA_FORMAT = 'gatehouse.my-data.v1';
export const EXPORT_AUDIT_ACTION = 'account.export_data';

/** Audit rows are read in pages of this many (an account's trail can be long). */
const AUDIT_PAGE = 1000;

export interface MyDataExport {
  generatedAt: Date;
  /** The document, as JSON text. */
  json: string;
  /** A file name for the download, e.g. `gatehouse-data-2026-12-07.json`. */
  filename: string;
}

const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);

export async function exportUserData(scope: RequestScope, user: User): Promise<MyDataExport> {
  const { em, services } = scope;
  const now = services.clock.now();
  // One after another: they share the request's EntityManager.
  const access = await userAccessSummary(scope, user);
  const sessions = await listSessions({ em, config: services.config, clock: services.clock }, user.id);
  const tokens = await listAccessTokens(em, user.id);
  const linked = await listLinkedAccounts(scope, user.id);
  const passkeys = await listPasskeys(em, user.id);
  const mfa = await mfaStatus(scope, user.id);
  const memberships = await userMemberships(scope, user.id);
  // Invitations to the account's address (who sent one is the sender's data, not named here).
  const invitations = await em.find(OrganizationInvitation, { emailKey: user.emailKey }, { populate: ['organization'], orderBy: { createdAt: 'asc', id: 'asc' } });
  const audit: Array<Record<string, unknown>> = [];
  for (let afterId = 0; ; ) {
    const rows = await em.find(
      AuditEvent,
      { id: { $gt: afterId }, $or: [{ actorId: user.id }, { targetId: user.id }, { impersonatedUserId: user.id }] },
      { orderBy: { id: 'asc' }, limit: AUDIT_PAGE },
    );
    for (const row of rows) {
      // Where and from what device someone else acted is theirs, not this user's.
      const own = row.actorId === user.id;
      audit.push({
        at: iso(row.at),
        action: row.action,
        actorType: row.actorType,
        actorEmail: row.actorEmail,
        impersonatedUserEmail: row.impersonatedUserEmail,
        targetType: row.targetType,
        targetId: row.targetId,
        ip: own ? row.ip : null,
        userAgent: own ? row.userAgent : null,
        details: row.details,
      });
    }
    if (rows.length < AUDIT_PAGE) break;
    afterId = rows.at(-1)!.id;
  }
  const document = {
    format: MY_DATA_FORMAT,
    generatedAt: iso(now),
    account: {
      id: user.id,
      email: user.email,
      emailConfirmedAt: iso(user.emailConfirmedAt),
      displayName: user.displayName,
      firstName: user.firstName,
      lastName: user.lastName,
      phone: user.phone,
      bio: user.bio,
      avatarUrl: user.avatarUrl,
      disabled: user.disabled,
      bannedUntil: user.bannedUntil && user.bannedUntil > now ? iso(user.bannedUntil) : null,
      createdAt: iso(user.createdAt),
      updatedAt: iso(user.updatedAt),
      roles: access.roles.map((role) => role.name),
      permissions: access.permissions,
    },
    secondFactors: { totpEnabled: mfa.totpEnabled, recoveryCodesRemaining: mfa.recoveryCodesRemaining },
    passkeys: passkeys.map((key) => ({
      id: key.id,
      name: key.name,
      deviceType: key.deviceType,
      backedUp: key.backedUp,
      transports: key.transports,
      createdAt: iso(key.createdAt),
      lastUsedAt: iso(key.lastUsedAt),
    })),
    sessions: sessions.map((session) => ({
      id: session.id,
      createdAt: iso(session.createdAt),
      lastSeenAt: iso(session.lastSeenAt),
      expiresAt: iso(session.expiresAt),
      ipAddress: session.ipAddress,
      userAgent: session.userAgent,
      impersonatedBy: session.impersonator ? { email: (session.impersonator as User).email, reason: session.impersonationReason } : null,
    })),
    accessTokens: tokens.map((token) => ({
      id: token.id,
      name: token.name,
      lastFour: token.lastFour,
      permissions: token.permissions,
      createdAt: iso(token.createdAt),
      expiresAt: iso(token.expiresAt),
      lastUsedAt: iso(token.lastUsedAt),
    })),
    linkedAccounts: linked.map((account) => ({
      provider: account.provider,
      subject: account.subject,
      login: account.login,
      email: account.email,
      linkedAt: iso(account.linkedAt),
      lastUsedAt: iso(account.lastUsedAt),
    })),
    organizations: memberships.map((member) => ({
      id: member.organization.id,
      name: member.organization.name,
      slug: member.organization.slug,
      role: member.role,
      joinedAt: iso(member.createdAt),
    })),
    organizationInvitations: invitations.map((invitation) => ({
      organization: { id: invitation.organization.id, name: invitation.organization.name },
      email: invitation.email,
      role: invitation.role,
      createdAt: iso(invitation.createdAt),
      expiresAt: iso(invitation.expiresAt),
      acceptedAt: iso(invitation.acceptedAt),
      revokedAt: iso(invitation.revokedAt),
    })),
    auditEvents: audit,
  };
  await recordAudit(scope, { action: EXPORT_AUDIT_ACTION, targetType: 'user', targetId: user.id, details: { auditEvents: audit.length } });
  return { generatedAt: now, json: JSON.stringify(document, null, 2), filename: `gatehouse-data-${now.toISOString().slice(0, 10)}.json` };
}
