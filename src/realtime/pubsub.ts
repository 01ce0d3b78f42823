// Publish/subscribe for live events (subscriptions and, later, closing revoked connections). One
// small typed interface; the in-process implementation is the default. A Redis implementation
// (for several instances) plugs in here: yoga's createPubSub takes a distributed `eventTarget`
// (e.g. @graphql-yoga/redis-event-target), so it only needs choosing in createPubSubFor().
// Payloads must stay JSON-serialisable (Dates become ISO strings over Redis).
import { createPubSub } from 'graphql-yoga';
import type { MaintenanceState } from '../maintenance/service.ts';

/** Every topic and the payload it carries. A domain adding live events adds its topic here. */
export interface Topics {
  /** The maintenance state after a change (from any path: mutation, command line, another process). */
  'maintenance:changed': MaintenanceState;
  /** Credentials that stopped working: live connections made with them are closed (src/realtime/connections.ts). */
  'credentials:revoked': CredentialsRevoked;
}

/** Why a viewer's credentials ended (delivered to the client as `SessionEnded.reason`). */
export type RevocationReason = 'LOGOUT' | 'SESSION_REVOKED' | 'PASSWORD_CHANGED' | 'TOKEN_REVOKED' | 'USER_DISABLED' | 'USER_DELETED';

/** Which of a user's credentials ended. Published by the services after their change is committed. */
export interface CredentialsRevoked {
  userId: string;
  reason: RevocationReason;
  /** These sessions ended. */
  sessionIds?: string[];
  /** Every session of the user ended, except `exceptSessionId` if set. Access tokens are unaffected. */
  allSessions?: boolean;
  exceptSessionId?: string | null;
  /** These access tokens ended. */
  tokenIds?: string[];
  /** The user was disabled or deleted: every credential of the user ended. */
  allOfUser?: boolean;
}

/** What a live connection was authenticated with, to match against revocations. */
export interface LiveCredential {
  userId: string;
  sessionId?: string | null;
  tokenId?: string | null;
}

export function isRevokedBy(credential: LiveCredential, event: CredentialsRevoked): boolean {
  if (credential.userId !== event.userId) return false;
  if (event.allOfUser) return true;
  if (credential.sessionId) {
    if (event.sessionIds?.includes(credential.sessionId)) return true;
    if (event.allSessions && credential.sessionId !== event.exceptSessionId) return true;
  }
  return !!credential.tokenId && !!event.tokenIds?.includes(credential.tokenId);
}

/** Announces ended credentials (call after the change is committed). */
export function publishRevoked(services: { pubsub: PubSub }, event: CredentialsRevoked): void {
  services.pubsub.publish('credentials:revoked', event);
}

export type Topic = keyof Topics;

export interface PubSub {
  /** Delivers to every current subscriber of the topic (in every instance, once distributed). */
  publish<T extends Topic>(topic: T, payload: Topics[T]): void;
  /** Events published after this call, until the iterator is returned. */
  subscribe<T extends Topic>(topic: T): AsyncIterableIterator<Topics[T]>;
  close(): Promise<void>;
}

/** Subscribers in this process only: right for one server process (the default). */
export function createInProcessPubSub(): PubSub {
  const inner = createPubSub<{ [T in Topic]: [Topics[T]] }>();
  return {
    publish: (topic, payload) => inner.publish(topic, payload as never),
    subscribe: (topic) => inner.subscribe(topic) as AsyncIterableIterator<Topics[typeof topic]>,
    close: async () => undefined,
  };
}
