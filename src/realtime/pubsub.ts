// Publish/subscribe for live events (subscriptions, closing revoked connections). One small typed
// interface: in process by default; with REDIS_URL, events also travel to every other instance.
// Payloads must stay JSON-serialisable (Dates become ISO strings between instances).
import { randomUUID } from 'node:crypto';
import { createPubSub } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

declare module '../context.ts' {
  interface Services {
    /** Live events for subscriptions (in-process; a distributed one when several instances run). */
    pubsub: PubSub;
  }
}

/** Every topic and the payload it carries. A domain adding live events adds its topic here. */
/** Event payloads by topic. A domain that publishes an event declares its topic here by augmentation. */
export interface Topics {
  /** Credentials that stopped working: live connections made with them are closed (src/realtime/connections.ts). */
  'credentials:revoked': CredentialsRevoked;
}

/** Why a viewer's credentials ended (delivered to the client as `SessionEnded.reason`). */
export type RevocationReason =
  | 'LOGOUT'
  | 'SESSION_REVOKED'
  | 'SESSION_EXPIRED'
  | 'PASSWORD_CHANGED'
  | 'TOKEN_REVOKED'
  | 'TOKEN_EXPIRED'
  | 'USER_DISABLED'
  | 'USER_BANNED'
  | 'USER_DELETED';

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
  /**
   * When the session ends unless it is used again (its `expiresAt`: the sooner of SESSION_TTL after
   * sign-in and SESSION_IDLE_TTL after its last use), as this instance last read it, in ms.
   */
  sessionExpiresAt?: number;
  /** When the access token stops working (its fixed `expiresAt`, in ms); absent: it does not expire. */
  tokenExpiresAt?: number;
  /** The admin acting as the user when the session is an impersonation (it ends with them). */
  impersonatorId?: string | null;
}

export function isRevokedBy(credential: LiveCredential, event: CredentialsRevoked): boolean {
  // An admin disabled, banned or deleted: the impersonations they run end with them.
  if (event.allOfUser && credential.impersonatorId === event.userId) return true;
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
  /** Delivers to every current subscriber of the topic, in this instance and (with Redis) every other. */
  publish<T extends Topic>(topic: T, payload: Topics[T]): void;
  /** Delivers to this instance's subscribers only (e.g. a change another instance already announced). */
  publishLocal<T extends Topic>(topic: T, payload: Topics[T]): void;
  /** Events delivered in this instance after this call, until the iterator is returned. */
  subscribe<T extends Topic>(topic: T): AsyncIterableIterator<Topics[T]>;
  /**
   * Events of `topic` published by other instances go to `handler` instead of straight to this
   * instance's subscribers; the handler decides what to publish locally. Payloads cross instances
   * as JSON, so a topic carrying Dates revives them here.
   */
  receive<T extends Topic>(topic: T, handler: (payload: unknown) => void): void;
  /** Resolves once events from other instances are being received (at once without Redis). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Subscribers in this process only: right for one server process (the default). */
export function createInProcessPubSub(): PubSub {
  const inner = createPubSub<{ [T in Topic]: [Topics[T]] }>();
  const publish = <T extends Topic>(topic: T, payload: Topics[T]) => inner.publish(topic, payload as never);
  return {
    publish,
    publishLocal: publish,
    subscribe: (topic) => inner.subscribe(topic) as AsyncIterableIterator<Topics[typeof topic]>,
    receive: () => undefined,
    ready: async () => undefined,
    close: async () => undefined,
  };
}

const TOPICS: Topic[] = ['maintenance:changed', 'credentials:revoked', 'organization-roles:changed'];

/**
 * Local delivery as in process, plus a Redis channel per topic between instances. Each message
 * carries the sending instance's id, so an instance does not deliver its own events twice.
 * (@graphql-yoga/redis-event-target does the same in ~50 lines, but leaves a failed PUBLISH as an
 * unhandled rejection, which ends a Node process; here a failure is logged.)
 */
export async function createRedisPubSub(options: { publisher: Redis; subscriber: Redis; keyPrefix: string; logger: Logger }): Promise<PubSub> {
  const { publisher, subscriber, keyPrefix, logger } = options;
  const local = createInProcessPubSub();
  const instance = randomUUID();
  const receivers = new Map<Topic, (payload: unknown) => void>();
  const channelOf = (topic: Topic) => `${keyPrefix}events:${topic}`;
  const topicOf = new Map(TOPICS.map((topic) => [channelOf(topic), topic]));

  subscriber.on('message', (channel: string, message: string) => {
    const topic = topicOf.get(channel);
    if (!topic) return;
    let parsed: { from?: unknown; payload?: unknown };
    try {
      parsed = JSON.parse(message);
    } catch {
      logger.warn({ channel }, 'redis events: ignored a message that is not JSON');
      return;
    }
    if (parsed.from === instance) return;
    const receiver = receivers.get(topic);
    if (receiver) receiver(parsed.payload);
    else local.publishLocal(topic, parsed.payload as never);
  });
  const subscribed = subscriber.subscribe(...TOPICS.map(channelOf));

  return {
    publish(topic, payload) {
      local.publishLocal(topic, payload);
      publisher.publish(channelOf(topic), JSON.stringify({ from: instance, payload })).catch((error: unknown) => {
        logger.error({ err: error, topic }, 'redis events: publish failed; other instances will notice the change by polling');
      });
    },
    publishLocal: local.publishLocal,
    subscribe: local.subscribe,
    receive(topic, handler) {
      receivers.set(topic, handler);
    },
    ready: async () => {
      await subscribed;
    },
    close: async () => undefined,
  };
}
