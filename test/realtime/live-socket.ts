// A graphql-ws client for the live-connection tests: connects at once (no retries), records the
// close codes, and says when the server acknowledged connection_init.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { EventQueue, wsSubscribe } from '../maintenance/maintenance-helpers.ts';

export interface LiveSocket {
  client: Client;
  /** Resolves once the server acknowledged connection_init. */
  connected: Promise<void>;
  /** Close codes in the order they happened. */
  closes: EventQueue<number>;
}

export function withTimeout<T>(promise: Promise<T>, what: string, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);
}

/** Opens a socket (with `authorization` in connection_init, if given); `clients` collects it for disposal. */
export function openLiveSocket(wsUrl: string, clients: Client[], authorization: string | undefined, timeoutMs: number): LiveSocket {
  const closes = new EventQueue<number>();
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    ...(authorization ? { connectionParams: { authorization } } : {}),
    on: {
      connected: () => connected(),
      closed: (event) => closes.push((event as { code: number }).code),
    },
  });
  clients.push(client);
  const acknowledged = withTimeout(ready, 'connection_ack', timeoutMs);
  // Sockets refused at init never connect: only a test that awaits `connected` should fail on it.
  acknowledged.catch(() => undefined);
  return { client, connected: acknowledged, closes };
}

/** The result of one query over the socket (which must still be open). */
export function socketQuery(socket: LiveSocket, document: string): Promise<unknown> {
  const { events, stop } = wsSubscribe(socket.client, document);
  return events.next().finally(stop);
}
