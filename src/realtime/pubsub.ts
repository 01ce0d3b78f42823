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
