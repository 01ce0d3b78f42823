// Live updates over GraphQL over WebSocket (graphql-ws's own client) on the same origin's /graphql:
// the browser sends the session cookie with the upgrade, which the server authenticates (and
// checks the Origin of). One socket for the whole console, opened on the first subscription and
// reopened after a drop (a restart, a restore), closed when nothing listens.
import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from './generated/graphql.ts';

let client: Client | null = null;

function socket(): Client {
  client ??= createClient({
    url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`,
    lazy: true,
    retryAttempts: Infinity,
    // A closed socket is retried (server restart, restore); the wait grows to 10 s.
    shouldRetry: () => true,
    retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** retries))),
  });
  return client;
}

/**
 * Subscribes to `document`; `onData` gets each result's data. Returns the unsubscribe function.
 * `onComplete` runs when the subscription ends without an error: the server completed it, or
 * closeLive() disposed the socket (a subscriber that outlives a sign-in or sign-out subscribes again).
 */
export function subscribe<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  onData: (data: TResult) => void,
  onError: (error: unknown) => void = () => {},
  onComplete: () => void = () => {},
): () => void {
  return socket().subscribe<TResult>(
    { query: document.toString(), variables: (variables ?? {}) as Record<string, unknown> },
    {
      next: (result) => {
        if (result.data) onData(result.data as TResult);
      },
      error: onError,
      complete: onComplete,
    },
  );
}

/** Closes the socket (sign-out: the next subscription opens one with the new cookie). */
export function closeLive(): void {
  const current = client;
  client = null;
  void current?.dispose();
}
