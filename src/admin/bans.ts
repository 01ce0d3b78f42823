// Timed bans: `banUser` suspends an account until a time, with a reason; its sessions and live
// connections end at once and every credential is refused (accounts/lockout.ts) until then, when
// the ban lifts itself — nothing runs at that time, each check compares with the clock.
// `unbanUser` lifts it early. Disabling (`updateUser(disabled)`) stays the indefinite state; a ban
// is for "come back later". Administrators cannot be banned (remove the role, or disable them).
import type { RequestScope } from '../context.ts';
import { ValidationFailedError, type FieldProblem } from '../errors.ts';
import { User } from '../accounts/entities.ts';
import { isBanned } from '../accounts/lockout.ts';
import { ADMIN_ROLE } from '../access/declarations.ts';
import { publishRevoked } from '../realtime/pubsub.ts';
import { revokeAllSessions } from '../sessions/service.ts';
import { recordAudit } from '../audit/service.ts';
import { findManagedUser, USER_AUDIT_ACTIONS } from './users.ts';

export const BAN_REASON_MAX = 500;
/** Longer than this is not a ban but a disable. */
const BAN_MAX_MS = 100 * 365 * 24 * 60 * 60_000;

export async function banUser(scope: RequestScope, id: string, reason: string, until: Date): Promise<User> {
  const { em, services } = scope;
  const user = await findManagedUser(scope, id, true);
  const now = services.clock.now();
  const text = reason.trim();
  const problems: FieldProblem[] = [];
  if (text.length === 0) problems.push({ field: 'reason', messages: ['Say why: the audit log and other admins see it.'] });
  if (text.length > BAN_REASON_MAX) problems.push({ field: 'reason', messages: [`Use at most ${BAN_REASON_MAX} characters.`] });
  if (until.getTime() <= now.getTime()) problems.push({ field: 'until', messages: ['Choose a time in the future.'] });
  else if (until.getTime() - now.getTime() > BAN_MAX_MS) problems.push({ field: 'until', messages: ['Ban for at most 100 years; disable the account instead.'] });
  if (scope.viewer?.id === user.id) problems.push({ field: 'id', messages: ['You cannot ban your own account.'] });
  else if (user.roles.getItems().some((role) => role.name === ADMIN_ROLE)) {
    problems.push({ field: 'id', messages: ['Administrators cannot be banned: remove the admin role first, or disable the account.'] });
  }
  if (problems.length) throw new ValidationFailedError(problems);

  await em.transactional(async (tx) => {
    await tx.nativeUpdate(User, { id: user.id }, { bannedUntil: until, banReason: text, updatedAt: now });
    const sessionsEnded = await revokeAllSessions(tx, user.id);
    await recordAudit(
      { ...scope, em: tx },
      { action: USER_AUDIT_ACTIONS.ban, targetType: 'user', targetId: user.id, details: { until: until.toISOString(), reason: text, sessionsEnded } },
    );
  });
  // Every credential of the user: sessions, access tokens and Basic connections alike.
  publishRevoked(services, { userId: user.id, reason: 'USER_BANNED', allOfUser: true });
  await em.refresh(user);
  return user;
}

/** Lifts a ban now; an account that is not banned is returned unchanged (and nothing is audited). */
export async function unbanUser(scope: RequestScope, id: string): Promise<User> {
  const { em, services } = scope;
  const user = await findManagedUser(scope, id);
  const now = services.clock.now();
  if (user.bannedUntil === null) return user;
  const wasBanned = isBanned(user, now);
  await em.transactional(async (tx) => {
    await tx.nativeUpdate(User, { id: user.id }, { bannedUntil: null, banReason: null, updatedAt: now });
    if (wasBanned) await recordAudit({ ...scope, em: tx }, { action: USER_AUDIT_ACTIONS.unban, targetType: 'user', targetId: user.id });
  });
  await em.refresh(user);
  return user;
}

