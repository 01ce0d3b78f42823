// Live connections (graphql-ws sockets, subscriptions over SSE) and the credentials they were
// opened with. When a service publishes `credentials:revoked`, the connections made with the
// ended credentials are ended: a socket is closed with 4403, an SSE subscription completes. The
// end comes a moment after the event, so a `viewerSessionEnded` subscriber on the same connection
// receives its event first. The registry also knows when each connection's session ends (its
// `expiresAt`) and access token expires: `due` names those past it, for the expiry check
// (auth/revalidate.ts).
import { isAsyncIterable, Repeater, type Plugin } from 'graphql-yoga';
import type { Credential, RequestScope } from '../context.ts';
import { isRevokedBy, type CredentialsRevoked, type LiveCredential, type PubSub, type RevocationReason } from './pubsub.ts';

/** How long after a revocation a connection is ended (time for `viewerSessionEnded` to go out). */
export const REVOCATION_END_DELAY_MS = 250;

/** The credential a live connection authenticated with, or null for an anonymous one. */
export function liveCredentialOf(viewer: { id: string } | null, credential: Credential | null): LiveCredential | null {
  if (!viewer) return null;
  if (credential?.kind === 'session') {
    const { session } = credential;
    return { userId: viewer.id, sessionId: session.id, sessionExpiresAt: session.expiresAt.getTime(), impersonatorId: session.impersonation?.by.id ?? null };
  }
  if (credential?.kind === 'token') {
    const { token } = credential;
    return { userId: viewer.id, tokenId: token.id, ...(token.expiresAt ? { tokenExpiresAt: token.expiresAt.getTime() } : {}) };
  }
  // HTTP Basic or a deployer's authenticator: only disabling or deleting the user ends it.
  return { userId: viewer.id };
}

export interface DueCredentials {
  sessions: Array<{ userId: string; sessionId: string }>;
  tokens: Array<{ userId: string; tokenId: string }>;
}

interface Entry {
  credential: LiveCredential;
  end(): void;
}

export interface ConnectionRegistry {
  /** Tracks a connection; `end` is called when its credential is revoked. Returns the removal. */
  add(credential: LiveCredential, end: () => void): () => void;
  /** How many connections are tracked (for tests and metrics). */
  readonly size: number;
  /** The credentials of every tracked connection. */
  credentials(): LiveCredential[];
  /**
   * The credentials of tracked connections due at `now` (ms), one pass over them: sessions whose known
   * end (`sessionExpiresAt`) is at or before it, and access tokens that expired by then.
   */
  due(now: number): DueCredentials;
  /** The session was used since: its connections' known end moves to `expiresAt` (ms). */
  extendSession(sessionId: string, expiresAt: number): void;
  close(): void;
}

export function createConnectionRegistry(pubsub: PubSub, delayMs = REVOCATION_END_DELAY_MS): ConnectionRegistry {
  const byUser = new Map<string, Set<Entry>>();
  /** Impersonation connections by their admin (all of an admin's credentials ending ends these too). */
  const byImpersonator = new Map<string, Set<Entry>>();
  const timers = new Set<NodeJS.Timeout>();
  let size = 0;
  const events = pubsub.subscribe('credentials:revoked');

  function remove(entry: Entry): void {
    const entries = byUser.get(entry.credential.userId);
    if (!entries?.delete(entry)) return;
    size--;
    if (!entries.size) byUser.delete(entry.credential.userId);
    const impersonatorId = entry.credential.impersonatorId;
    if (impersonatorId) {
      const impersonations = byImpersonator.get(impersonatorId);
      impersonations?.delete(entry);
      if (impersonations && !impersonations.size) byImpersonator.delete(impersonatorId);
    }
  }

  function revoke(event: CredentialsRevoked): void {
    const impersonations = event.allOfUser ? [...(byImpersonator.get(event.userId) ?? [])] : [];
    for (const entry of [...(byUser.get(event.userId) ?? []), ...impersonations]) {
      if (!isRevokedBy(entry.credential, event)) continue;
      remove(entry);
      const timer = setTimeout(() => {
        timers.delete(timer);
        entry.end();
      }, delayMs);
      timers.add(timer);
    }
  }

  void (async () => {
    for await (const event of events) revoke(event);
  })();

  return {
    add(credential, end) {
      const entry: Entry = { credential, end };
      let entries = byUser.get(credential.userId);
      if (!entries) byUser.set(credential.userId, (entries = new Set()));
      entries.add(entry);
      if (credential.impersonatorId) {
        let impersonations = byImpersonator.get(credential.impersonatorId);
        if (!impersonations) byImpersonator.set(credential.impersonatorId, (impersonations = new Set()));
        impersonations.add(entry);
      }
      size++;
      return () => remove(entry);
    },
    get size() {
      return size;
    },
    credentials() {
      return [...byUser.values()].flatMap((entries) => [...entries].map((entry) => entry.credential));
    },
    due(now) {
      const sessions = new Map<string, { userId: string; sessionId: string }>();
      const tokens = new Map<string, { userId: string; tokenId: string }>();
      for (const entries of byUser.values()) {
        for (const { credential } of entries) {
          const { userId, sessionId, tokenId } = credential;
          if (sessionId && credential.sessionExpiresAt !== undefined && credential.sessionExpiresAt <= now) sessions.set(sessionId, { userId, sessionId });
          if (tokenId && credential.tokenExpiresAt !== undefined && credential.tokenExpiresAt <= now) tokens.set(tokenId, { userId, tokenId });
        }
      }
      return { sessions: [...sessions.values()], tokens: [...tokens.values()] };
    },
    extendSession(sessionId, expiresAt) {
      for (const entries of byUser.values()) {
        for (const { credential } of entries) {
          if (credential.sessionId === sessionId) credential.sessionExpiresAt = expiresAt;
        }
      }
    },
    close() {
      void events.return?.();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      byUser.clear();
      byImpersonator.clear();
      size = 0;
    },
  };
}

/**
 * Ends subscriptions whose credential is revoked. `skip` names contexts whose transport ends them
 * itself (a graphql-ws socket is closed as a whole).
 */
export function endRevokedSubscriptionsPlugin(registry: ConnectionRegistry, skip: WeakSet<object>): Plugin<RequestScope> {
  return {
    onSubscribe({ args }) {
      const context = args.contextValue as RequestScope;
      if (skip.has(context)) return;
      const credential = liveCredentialOf(context.viewer, context.credential);
      if (!credential) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(untilRevoked(result, registry, credential));
        },
      };
    },
  };
}

/** The source's values until the credential is revoked (or the consumer stops). */
function untilRevoked<T>(source: AsyncIterable<T>, registry: ConnectionRegistry, credential: LiveCredential): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
  let finished = false;
  let signal!: () => void;
  const ended = new Promise<IteratorReturnResult<undefined>>((resolve) => (signal = () => resolve(done)));
  const finish = async () => {
    if (finished) return;
    finished = true;
    removal();
    signal();
    await iterator.return?.();
  };
  const removal = registry.add(credential, () => void finish());
  const wrapped: AsyncGenerator<T> = {
    async next() {
      if (finished) return done;
      const result = await Promise.race([iterator.next(), ended]);
      if (result.done) await finish();
      return result;
    },
    async return() {
      await finish();
      return done;
    },
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return wrapped;
    },
    async [Symbol.asyncDispose]() {
      await finish();
    },
  };
  return wrapped;
}

export interface SessionEnded {
  reason: RevocationReason;
  at: Date;
}

/** One event when the viewer's credential on this connection is revoked, then the end. */
export function viewerSessionEnded(scope: Pick<RequestScope, 'services' | 'viewer' | 'credential'>): AsyncIterable<SessionEnded> {
  const credential = liveCredentialOf(scope.viewer, scope.credential);
  return new Repeater<SessionEnded>(async (push, stop) => {
    if (!credential) return stop();
    const events = scope.services.pubsub.subscribe('credentials:revoked');
    void stop.then(() => events.return?.());
    for await (const event of events) {
      if (!isRevokedBy(credential, event)) continue;
      await push({ reason: event.reason, at: scope.services.clock.now() });
      break;
    }
    stop();
  });
}
