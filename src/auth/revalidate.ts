// Credentials ended by another process (the command line, a second server on the same file) do
// not arrive as events here. After such a write, the live connections' credentials are checked
// against the database and every one that no longer holds is announced as revoked, exactly as
// if a service here had ended it.
import type { EntityManager } from '@mikro-orm/sql';
import { User } from '../accounts/entities.ts';
import { Session } from '../sessions/entities.ts';
import { AccessToken } from '../tokens/entities.ts';
import type { Services } from '../context.ts';
import type { ConnectionRegistry } from '../realtime/connections.ts';
import type { OutsideChangeHandler } from '../realtime/outside-changes.ts';
import { publishRevoked, type LiveCredential, type PubSub } from '../realtime/pubsub.ts';

export async function revalidateLiveCredentials(em: EntityManager, pubsub: PubSub, live: readonly LiveCredential[]): Promise<void> {
  if (live.length === 0) return;
  const userIds = [...new Set(live.map((c) => c.userId))];
  const sessionIds = [...new Set(live.flatMap((c) => (c.sessionId ? [c.sessionId] : [])))];
  const tokenIds = [...new Set(live.flatMap((c) => (c.tokenId ? [c.tokenId] : [])))];
  const users = new Map((await em.find(User, { id: { $in: userIds } }, { fields: ['id', 'disabled'] })).map((u) => [u.id, u]));
  const sessions = new Set(sessionIds.length ? (await em.find(Session, { id: { $in: sessionIds } }, { fields: ['id'] })).map((s) => s.id) : []);
  const tokens = new Set(tokenIds.length ? (await em.find(AccessToken, { id: { $in: tokenIds } }, { fields: ['id'] })).map((t) => t.id) : []);

  for (const userId of userIds) {
    const user = users.get(userId);
    if (!user || user.disabled) {
      publishRevoked({ pubsub }, { userId, reason: user ? 'USER_DISABLED' : 'USER_DELETED', allOfUser: true });
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
export function liveCredentialsChecker(services: Pick<Services, 'orm' | 'pubsub'>, connections: Pick<ConnectionRegistry, 'credentials'>): OutsideChangeHandler {
  return {
    name: 'live credentials',
    run: () => revalidateLiveCredentials(services.orm.em.fork(), services.pubsub, connections.credentials()),
  };
}
