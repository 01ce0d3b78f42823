// GraphQL over WebSocket (graphql-ws) end to end: the same authentication as HTTP (bearer token in
// connectionParams, or the session cookie on the upgrade request), Origin checks on the upgrade,
// and a context built per operation so a revoked session stops working on an open socket. (Sockets
// closed with 4403 when their credentials are revoked in this process: test/realtime/.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';
import { createConfirmedUser, startTestServer, type TestServer } from '../helpers/server.ts';
import { Session } from '../../src/sessions/entities.ts';

const COOKIE_NAME = 'gatehouse_session';
const VIEWER = '{ viewer { email } }';

type Outcome =
  | { kind: 'result'; data: any; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }
  | { kind: 'error'; errors: Array<{ message: string; extensions?: Record<string, any> }> };

/** Runs one operation to completion and reports its result, or the errors the server refused it with. */
function run(client: Client, query: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let last: Outcome | undefined;
    client.subscribe(
      { query },
      {
        next: (value) => {
          last = { kind: 'result', data: value.data, errors: value.errors };
        },
        error: (error) => {
          if (Array.isArray(error)) resolve({ kind: 'error', errors: error });
          else reject(error instanceof Error ? error : new Error(`socket failed: ${String((error as CloseEvent)?.code ?? error)}`));
        },
        complete: () => (last ? resolve(last) : reject(new Error('completed without a result'))),
      },
    );
  });
}

/** A `ws` WebSocket that sends extra headers (e.g. a browser's Cookie) with its upgrade request. */
function socketWithHeaders(headers: Record<string, string>) {
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  };
}

describe('GraphQL over WebSocket', () => {
  let server: TestServer;
  let wsUrl: string;
  const clients: Client[] = [];

  function connect(options: Partial<ClientOptions> = {}): Client {
    const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, ...options });
    clients.push(client);
    return client;
  }

  /** Deletes a session row directly, as a revocation in another process does. */
  const endSession = (id: string) => server.gatehouse.services.orm.em.fork().nativeDelete(Session, { id });

  before(async () => {
    server = await startTestServer();
    wsUrl = server.url.replace(/^http/, 'ws');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await server.close();
  });

  test('a bearer token in connectionParams authenticates the viewer', async () => {
    const { token } = await createConfirmedUser(server, 'ws.bearer@example.com');
    const outcome = await run(connect({ connectionParams: { authorization: `Bearer ${token}` } }), VIEWER);
    assert.deepEqual(outcome, { kind: 'result', data: { viewer: { email: 'ws.bearer@example.com' } }, errors: undefined });
  });

  test('without connectionParams the viewer is null', async () => {
    const outcome = await run(connect(), VIEWER);
    assert.deepEqual(outcome, { kind: 'result', data: { viewer: null }, errors: undefined });
  });

  test('a bad token in connection_init closes the socket with 4403 (Forbidden)', async () => {
    for (const authorization of [`Bearer ${'A'.repeat(43)}`, 'Basic abc', 'Bearer']) {
      await assert.rejects(run(connect({ connectionParams: { authorization } }), VIEWER), /socket failed: 4403/, authorization);
    }
  });

  test('the session cookie on the upgrade request authenticates', async () => {
    const { token } = await createConfirmedUser(server, 'ws.cookie@example.com');
    const client = connect({ webSocketImpl: socketWithHeaders({ cookie: `${COOKIE_NAME}=${token}` }) });
    const outcome = await run(client, VIEWER);
    assert.deepEqual(outcome, { kind: 'result', data: { viewer: { email: 'ws.cookie@example.com' } }, errors: undefined });
  });

  test('an upgrade from a foreign Origin is refused with 403; the own origin is accepted', async () => {
    const status = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { headers: { origin } });
        socket.on('unexpected-response', (_req: ClientRequest, res: IncomingMessage) => {
          resolve(res.statusCode ?? 0);
          socket.terminate();
        });
        socket.on('open', () => {
          resolve(101);
          socket.close();
        });
        socket.on('error', (error) => reject(error));
      });
    assert.equal(await status('https://evil.example'), 403);
    assert.equal(await status('null'), 403);
    assert.equal(await status(server.origin), 101);
  });

  test('a session revoked while the socket is open is refused on the next operation', async () => {
    const { token } = await createConfirmedUser(server, 'ws.revoked@example.com');
    let connections = 0;
    const client = connect({
      lazy: false,
      connectionParams: { authorization: `Bearer ${token}` },
      on: { connected: () => void connections++ },
    });
    const before = await run(client, VIEWER);
    assert.deepEqual(before, { kind: 'result', data: { viewer: { email: 'ws.revoked@example.com' } }, errors: undefined });

    const sessions = await server.gql(`{ viewer { sessions { id current } } }`, {}, { token });
    const id = sessions.body.data.viewer.sessions.find((s: { current: boolean }) => s.current).id;
    // Revoked as another process would (the command line, another instance): no in-process event
    // closes the socket, so the per-operation authentication is what refuses it. (Revoked through
    // this server, the socket is also closed with 4403 a moment later: test/realtime/.)
    assert.equal(await endSession(id), 1);

    const afterRevoke = await run(client, VIEWER);
    assert.equal(afterRevoke.kind, 'error', JSON.stringify(afterRevoke));
    assert.deepEqual(afterRevoke.errors.map((e) => e.extensions?.code), ['UNAUTHENTICATED']);
    assert.equal(connections, 1, 'both operations ran over the same socket');
  });

  test('a cookie session logged out elsewhere makes the next operation on the open socket anonymous', async () => {
    const { token } = await createConfirmedUser(server, 'ws.logout@example.com');
    let connections = 0;
    const client = connect({
      lazy: false,
      webSocketImpl: socketWithHeaders({ cookie: `${COOKIE_NAME}=${token}` }),
      on: { connected: () => void connections++ },
    });
    assert.deepEqual(await run(client, VIEWER), { kind: 'result', data: { viewer: { email: 'ws.logout@example.com' } }, errors: undefined });
    // Ended by another process (see above), so the socket stays open: the next operation is anonymous.
    const sessions = await server.gql(`{ viewer { sessions { id current } } }`, {}, { token });
    assert.equal(await endSession(sessions.body.data.viewer.sessions.find((s: { current: boolean }) => s.current).id), 1);
    assert.deepEqual(await run(client, VIEWER), { kind: 'result', data: { viewer: null }, errors: undefined });
    assert.equal(connections, 1);
  });
});
