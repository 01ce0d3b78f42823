// Credentials ended by another process (the command line, a second server on the same file) do
// not arrive as events here. After such a write, the live connections' credentials are checked
// against the database and every one that no longer holds is announced as revoked, exactly as
// if a service here had ended it.
// Sessions also end by themselves (SESSION_TTL, SESSION_IDLE_TTL): a timer ends the live
// connections of a session once it is past its `expiresAt`, with the reason SESSION_EXPIRED, and
// those of an access token past its fixed `expiresAt` with TOKEN_EXPIRED.
import type { EntityManager } from '@mikro-orm/sql';
import { User } from '../accounts/entities.ts';
import { Session } from '../sessions/entities.ts';
import { AccessToken } from '../tokens/entities.ts';
import type { Services } from '../context.ts';
import type { ConnectionRegistry } from '../realtime/connections.ts';
import type { OutsideChangeHandler } from '../realtime/outside-changes.ts';
import { publishRevoked, type LiveCredential, type PubSub } from '../realtime/pubsub.ts';
import type { Clock } from '../util/clock.ts';
import { isLockedOut } from '../accounts/lockout.ts';

/** How often live connections' session ends are looked at (in memory; the database only for those due). */
export const SESSION_EXPIRY_CHECK_MS = 1_000;

export async function revalidateLiveCredentials(em: EntityManager, { pubsub, clock }: { pubsub: PubSub; clock: Clock }, live: readonly LiveCredential[]): Promise<void> {
  if (live.length === 0) return;
  const userIds = [...new Set(live.map((c) => c.userId))];
  const sessionIds = [...new Set(live.flatMap((c) => (c.sessionId ? [c.sessionId] : [])))];
  const tokenIds = [...new Set(live.flatMap((c) => (c.tokenId ? [c.tokenId] : [])))];
  const users = new Map((await em.find(User, { id: { $in: userIds } }, { fields: ['id', 'disabled', 'bannedUntil'] })).map((u) => [u.id, u]));
  const sessions = new Set(sessionIds.length ? (await em.find(Session, { id: { $in: sessionIds } }, { fields: ['id'] })).map((s) => s.id) : []);
  const tokens = new Set(tokenIds.length ? (await em.find(AccessToken, { id: { $in: tokenIds } }, { fields: ['id'] })).map((t) => t.id) : []);

  for (const userId of userIds) {
    const user = users.get(userId);
    if (!user || isLockedOut(user, clock.now())) {
      const reason = !user ? 'USER_DELETED' : user.disabled ? 'USER_DISABLED' : 'USER_BANNED';
      publishRevoked({ pubsub }, { userId, reason, allOfUser: true });
      continue;
    }
    const mine = live.filter((c) => c.userId === userId);
    const endedSessions = mine.flatMap((c) => (c.sessionId && !sessions.has(c.sessionId) ? [c.sessionId] : []));
    const endedTokens = mine.flatMap((c) => (c.tokenId && !tokens.has(c.tokenId) ? [c.tokenId] : []));
    if (endedSessions.length) publishRevoked({ pubsub }, { userId, reason: 'SESSION_REVOKED', sessionIds: endedSessions });
    if (endedTokens.length) publishRevoked({ pubsub }, { userId, reason: 'TOKEN_REVOKED', tokenIds: endedTokens });
  }
}

/** Re-checks live connections' credentials after an outside write (realtime/outside-changes.ts) or a restore. */
export function liveCredentialsChecker(services: Pick<Services, 'orm' | 'pubsub' | 'clock'>, connections: Pick<ConnectionRegistry, 'credentials'>): OutsideChangeHandler {
  return {
    name: 'live credentials',
    run: () => revalidateLiveCredentials(services.orm.em.fork(), services, connections.credentials()),
  };
}

/**
 * Ends the live connections of sessions past their end. The registry's `sessionExpiresAt` is what
 * was read when the connection authenticated; a session used since (on any instance) has slid, so
 * those due are read again: a later `expiresAt` moves their end, a past one (or a row deleted
 * because it expired) ends them. Each instance ends its own connections (published locally).
 */
export async function endExpiredSessions(
  em: EntityManager,
  deps: { pubsub: PubSub; clock: Clock },
  connections: Pick<ConnectionRegistry, 'due' | 'extendSession'>,
): Promise<void> {
  const now = deps.clock.now().getTime();
  const { sessions: due, tokens: dueTokens } = connections.due(now);
  // An access token's end is fixed when it is made: past it, its connections end without a read.
  const tokens = new Map<string, string[]>();
  for (const { userId, tokenId } of dueTokens) tokens.set(userId, [...(tokens.get(userId) ?? []), tokenId]);
  for (const [userId, tokenIds] of tokens) deps.pubsub.publishLocal('credentials:revoked', { userId, reason: 'TOKEN_EXPIRED', tokenIds });
  if (due.length === 0) return;
  const rows = await em.find(Session, { id: { $in: due.map((d) => d.sessionId) } }, { fields: ['id', 'expiresAt'] });
  const ends = new Map(rows.map((row) => [row.id, row.expiresAt.getTime()]));
  const expired = new Map<string, string[]>();
  for (const { userId, sessionId } of due) {
    const end = ends.get(sessionId);
    if (end !== undefined && end > now) {
      connections.extendSession(sessionId, end);
      continue;
    }
    expired.set(userId, [...(expired.get(userId) ?? []), sessionId]);
  }
  for (const [userId, sessionIds] of expired) {
    deps.pubsub.publishLocal('credentials:revoked', { userId, reason: 'SESSION_EXPIRED', sessionIds });
  }
}

/** Checks every SESSION_EXPIRY_CHECK_MS (by `services.clock`) whether a live connection's session has ended. */
export function startSessionExpiry(
  services: Pick<Services, 'orm' | 'pubsub' | 'clock' | 'logger' | 'database'>,
  connections: Pick<ConnectionRegistry, 'due' | 'extendSession'>,
  intervalMs = SESSION_EXPIRY_CHECK_MS,
): { stop(): Promise<void> } {
  let inFlight: Promise<void> | null = null;
  const check = async () => {
    // Nothing due (the usual case): no database read at all.
    const due = connections.due(services.clock.now().getTime());
    if (due.sessions.length === 0 && due.tokens.length === 0) return;
    try {
      await services.database.gate.run(() => endExpiredSessions(services.orm.em.fork(), services, connections));
    } catch (error) {
      services.logger.warn({ err: error }, 'session expiry: check failed; the next one retries');
    }
  };
  const timer = setInterval(() => {
    inFlight ??= check().finally(() => (inFlight = null));
  }, intervalMs);
  // Never keeps the process alive on its own.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
