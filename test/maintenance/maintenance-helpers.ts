// Helpers for the maintenance tests: GraphQL documents, an admin set up directly in the database,
// and live clients (graphql-ws and SSE) whose events the test awaits one by one.
import assert from 'node:assert/strict';
import { createClient, type Client, type SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';
import { createConfirmedUser, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';

export const STATE_FIELDS = 'enabled message endsAt updatedAt updatedBy';
export const MAINTENANCE = `{ maintenance { ${STATE_FIELDS} } }`;
export const CHANGED = `subscription { maintenanceModeChanged { enabled message endsAt } }`;
export const SET_MAINTENANCE = `mutation($enabled: Boolean!, $message: String, $endsAt: DateTime) {
  setMaintenanceMode(input: { enabled: $enabled, message: $message, endsAt: $endsAt }) {
    __typename
    ... on MaintenanceState { ${STATE_FIELDS} }
    ... on ValidationError { code fields { field messages } }
  }
}`;
/** Public, but not on the maintenance allow-list. */
export const BLOCKED_QUERY = `{ validationRules }`;

/** A confirmed, signed-in user given the admin role directly in the database. */
export async function createAdmin(server: TestServer, email: string): Promise<{ token: string; userId: string }> {
  const admin = await createConfirmedUser(server, email);
  await grantRoles(server, admin.userId, 'admin');
  return admin;
}

export async function setMaintenance(
  server: TestServer,
  token: string,
  variables: { enabled: boolean; message?: string | null; endsAt?: string | null },
): Promise<any> {
  const res = await server.gql(SET_MAINTENANCE, variables, { token });
  assert.equal(res.body.errors, undefined, JSON.stringify(res.body));
  assert.equal(res.body.data.setMaintenanceMode.__typename, 'MaintenanceState', JSON.stringify(res.body));
  return res.body.data.setMaintenanceMode;
}

/** Values pushed by a live client, awaited in order; `next` fails after a generous timeout. */
export class EventQueue<T> {
  readonly #items: T[] = [];
  readonly #waiters: Array<{ resolve: (value: T) => void; reject: (error: Error) => void }> = [];
  #ended: Error | null = null;

  push(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(item);
    else this.#items.push(item);
  }

  end(reason: Error): void {
    this.#ended = reason;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(reason);
  }

  next(timeoutMs = 10_000): Promise<T> {
    if (this.#items.length) return Promise.resolve(this.#items.shift()!);
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        resolve: (value: T) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}

export interface LiveResult {
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
}

export function wsClient(server: TestServer, token?: string): Client {
  return createClient({
    url: server.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    ...(token ? { connectionParams: { authorization: `Bearer ${token}` } } : {}),
  });
}

/** Subscribes (or runs a query) over graphql-ws; results and errors arrive in the queue. */
export function wsSubscribe(client: Client, query: string | SubscribePayload): { events: EventQueue<LiveResult>; stop(): void } {
  const events = new EventQueue<LiveResult>();
  const stop = client.subscribe(
    typeof query === 'string' ? { query } : query,
    {
      next: (value) => events.push(value as LiveResult),
      error: (error) => {
        if (Array.isArray(error)) events.push({ errors: error });
        else events.end(new Error(`socket failed: ${String((error as { code?: number })?.code ?? error)}`));
      },
      complete: () => events.end(new Error('completed')),
    },
  );
  return { events, stop };
}

export interface SseStream {
  status: number;
  contentType: string | null;
  events: EventQueue<LiveResult>;
  close(): void;
}

/** GraphQL over SSE (yoga): POST (JSON body) or GET (query string) with Accept: text/event-stream. */
export async function sseSubscribe(
  server: Pick<TestServer, 'url'>,
  query: string,
  options: { method?: 'GET' | 'POST'; token?: string; headers?: Record<string, string>; variables?: Record<string, unknown> } = {},
): Promise<SseStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const method = options.method ?? 'POST';
  const res =
    method === 'GET'
      ? await fetch(`${server.url}?query=${encodeURIComponent(query)}${options.variables ? `&variables=${encodeURIComponent(JSON.stringify(options.variables))}` : ''}`, {
          headers,
          signal: controller.signal,
        })
      : await fetch(server.url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables: options.variables }),
          signal: controller.signal,
        });
  const events = new EventQueue<LiveResult>();
  void readEvents(res, events).catch((error: unknown) => events.end(error instanceof Error ? error : new Error(String(error))));
  return { status: res.status, contentType: res.headers.get('content-type'), events, close: () => controller.abort() };
}

async function readEvents(res: Response, events: EventQueue<LiveResult>): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body!) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (event === 'complete') return events.end(new Error('completed'));
      if (data.length && (event === 'next' || event === 'message')) events.push(JSON.parse(data.join('\n')));
    }
  }
  events.end(new Error('stream ended'));
}

/** The `extensions.code` of each error of a live result. */
export const liveCodes = (result: LiveResult) => (result.errors ?? []).map((e) => e.extensions?.code);
