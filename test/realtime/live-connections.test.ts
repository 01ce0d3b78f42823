// Live connections and their credentials: a WebSocket authenticates at connection_init (bad
// credentials close it with 4403, no init with 4408), and a live connection dies with its
// credentials — revoking a session or token, or disabling the user, closes the sockets made with
// them (4403) after a `viewerSessionEnded` event, and ends SSE subscriptions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createConfirmedUser, login, startTestServer, type TestServer } from '../helpers/server.ts';
import { runGatehouse } from '../helpers/cli.ts';
import { writeFromOutside } from '../helpers/backends.ts';
import { Session } from '../../src/sessions/entities.ts';
import { CHANGED, createAdmin, setMaintenance, sseSubscribe, wsSubscribe, type SseStream } from '../maintenance/maintenance-helpers.ts';
import { createToken, REVOKE_TOKEN, UPDATE_USER } from '../tokens/token-helpers.ts';
import { openLiveSocket, socketQuery, withTimeout, type LiveSocket } from './live-socket.ts';

/** Generous: revocations end connections within 2 s; nothing here measures time. */
const CLOSE_TIMEOUT_MS = 10_000;
const VIEWER = '{ viewer { email } }';
const ENDED = 'subscription { viewerSessionEnded { reason at } }';

describe('live connections and their credentials', () => {
  let server: TestServer;
  let wsUrl: string;
  const clients: Client[] = [];
  const streams: SseStream[] = [];

  const open = (authorization?: string): LiveSocket => openLiveSocket(wsUrl, clients, authorization, CLOSE_TIMEOUT_MS);

  const query = socketQuery;

  async function currentSessionId(token: string): Promise<string> {
    const res = await server.gql(`{ viewer { sessions { id current } } }`, {}, { token });
    return res.body.data.viewer.sessions.find((s: { current: boolean }) => s.current).id;
  }

  before(async () => {
    server = await startTestServer({}, { wsConnectionInitTimeoutMs: 300 });
    wsUrl = server.url.replace(/^http/, 'ws');
  });
  after(async () => {
    for (const stream of streams) stream.close();
    await Promise.all(clients.map((c) => c.dispose()));
    await server.close();
  });

  test('bad credentials in connection_init close the socket with 4403', async () => {
    for (const authorization of [`Bearer ${'A'.repeat(43)}`, 'Basic abc', 'Bearer']) {
      const socket = open(authorization);
      assert.equal(await socket.closes.next(CLOSE_TIMEOUT_MS), 4403, authorization);
    }
  });

  test('a socket that sends no connection_init is closed with 4408', async () => {
    const code = await withTimeout(
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
        socket.on('close', (closeCode) => resolve(closeCode));
        socket.on('error', reject);
      }),
      'close without init',
      CLOSE_TIMEOUT_MS,
    );
    assert.equal(code, 4408);
  });

  test("revoking a session closes that session's socket (after viewerSessionEnded), not the user's other session", async () => {
    const { token: first } = await createConfirmedUser(server, 'live.two-sessions@example.com');
    const { token: second } = await login(server, 'live.two-sessions@example.com');
    const revokedSocket = open(`Bearer ${first}`);
    const otherSocket = open(`Bearer ${second}`);
    await Promise.all([revokedSocket.connected, otherSocket.connected]);
    const ended = wsSubscribe(revokedSocket.client, ENDED);
    const otherEnded = wsSubscribe(otherSocket.client, ENDED);
    // The subscription is registered once a query sent after it has been answered on the same socket.
    assert.deepEqual(await query(revokedSocket, VIEWER), { data: { viewer: { email: 'live.two-sessions@example.com' } } });

    const firstId = await currentSessionId(first);
    const revoked = await server.gql(`mutation($id: ID!) { revokeSession(input: { id: $id }) { ... on RevokedSession { id } } }`, { id: firstId }, { token: second });
    assert.deepEqual(revoked.body, { data: { revokeSession: { id: firstId } } });

    const event = (await ended.events.next(CLOSE_TIMEOUT_MS)) as { data: { viewerSessionEnded: { reason: string; at: string } } };
    assert.equal(event.data.viewerSessionEnded.reason, 'SESSION_REVOKED');
    assert.ok(!Number.isNaN(Date.parse(event.data.viewerSessionEnded.at)));
    assert.equal(await revokedSocket.closes.next(CLOSE_TIMEOUT_MS), 4403);

    // The other session's socket stays open and working, and got no event.
    assert.deepEqual(await query(otherSocket, VIEWER), { data: { viewer: { email: 'live.two-sessions@example.com' } } });
    await assert.rejects(otherSocket.closes.next(500), /no event/);
    await assert.rejects(otherEnded.events.next(100), /no event/);
  });

  test('logging out closes the sockets of that session', async () => {
    const { token } = await createConfirmedUser(server, 'live.logout@example.com');
    const socket = open(`Bearer ${token}`);
    await socket.connected;
    assert.deepEqual((await server.gql(`mutation { logout { ... on RevokedSessions { count } } }`, {}, { token })).body, { data: { logout: { count: 1 } } });
    assert.equal(await socket.closes.next(CLOSE_TIMEOUT_MS), 4403);
  });

  test('a user disabled by the command line (another process) loses their sockets too', async () => {
    const { token } = await createConfirmedUser(server, 'live.cli-disable@example.com');
    const socket = open(`Bearer ${token}`);
    await socket.connected;
    const run = await runGatehouse(['user', 'disable', 'live.cli-disable@example.com'], {
      cwd: server.dir,
      databasePath: server.gatehouse.config.databasePath,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await socket.closes.next(CLOSE_TIMEOUT_MS), 4403);
  });

  test('a session deleted by another process closes its socket, not the other session of the user', async () => {
    const { token } = await createConfirmedUser(server, 'live.outside-revoke@example.com');
    const { token: other } = await login(server, 'live.outside-revoke@example.com');
    const revoked = open(`Bearer ${token}`);
    const kept = open(`Bearer ${other}`);
    await Promise.all([revoked.connected, kept.connected]);
    const sessionId = await currentSessionId(token);
    // A write through another connection (as a second server or a script would make): nothing is
    // published in this process; the server must notice it in the database.
    await writeFromOutside(server.gatehouse.config.databasePath, 'delete from sessions where id = ?', [sessionId]);
    assert.equal(await revoked.closes.next(CLOSE_TIMEOUT_MS), 4403);
    await assert.rejects(kept.closes.next(500), /no event/);
    assert.equal(await server.gatehouse.services.orm.em.fork().count(Session, { id: sessionId }), 0);
  });

  test('disabling a user closes all their sockets: sessions and access tokens', async () => {
    const { token: admin } = await createAdmin(server, 'live.admin@example.com');
    const { token: first, userId } = await createConfirmedUser(server, 'live.disabled@example.com');
    const { token: second } = await login(server, 'live.disabled@example.com');
    const { token: accessToken } = await createToken(server, first, { name: 'live' });
    const sockets = [open(`Bearer ${first}`), open(`Bearer ${second}`), open(`Bearer ${accessToken}`)];
    await Promise.all(sockets.map((s) => s.connected));
    const bystander = open(`Bearer ${admin}`);
    await bystander.connected;

    const res = await server.gql(UPDATE_USER, { input: { id: userId, disabled: true } }, { token: admin });
    assert.equal(res.body.data?.updateUser.disabled, true, JSON.stringify(res.body));

    for (const socket of sockets) assert.equal(await socket.closes.next(CLOSE_TIMEOUT_MS), 4403);
    assert.deepEqual(await query(bystander, VIEWER), { data: { viewer: { email: 'live.admin@example.com' } } });
  });

  test("revoking an access token closes the token's socket, not the owner's session socket", async () => {
    const { token: session } = await createConfirmedUser(server, 'live.token@example.com');
    const { token: accessToken, accessToken: view } = await createToken(server, session, { name: 'live socket' });
    const tokenSocket = open(`Bearer ${accessToken}`);
    const sessionSocket = open(`Bearer ${session}`);
    await Promise.all([tokenSocket.connected, sessionSocket.connected]);
    const ended = wsSubscribe(tokenSocket.client, ENDED);
    assert.deepEqual(await query(tokenSocket, VIEWER), { data: { viewer: { email: 'live.token@example.com' } } });

    assert.deepEqual((await server.gql(REVOKE_TOKEN, { id: view.id }, { token: session })).body, { data: { revokeAccessToken: { id: view.id } } });

    const event = (await ended.events.next(CLOSE_TIMEOUT_MS)) as { data: { viewerSessionEnded: { reason: string } } };
    assert.equal(event.data.viewerSessionEnded.reason, 'TOKEN_REVOKED');
    assert.equal(await tokenSocket.closes.next(CLOSE_TIMEOUT_MS), 4403);
    assert.deepEqual(await query(sessionSocket, VIEWER), { data: { viewer: { email: 'live.token@example.com' } } });
  });

  test('an SSE subscription of a revoked session ends; an anonymous one goes on', async () => {
    const { token: first } = await createConfirmedUser(server, 'live.sse@example.com');
    const { token: second } = await login(server, 'live.sse@example.com');
    const stream = await sseSubscribe(server, CHANGED, { token: first });
    const anonymous = await sseSubscribe(server, CHANGED);
    streams.push(stream, anonymous);
    assert.equal(stream.status, 200);
    await stream.events.next();
    await anonymous.events.next();

    const firstId = await currentSessionId(first);
    const revoked = await server.gql(`mutation($id: ID!) { revokeSession(input: { id: $id }) { ... on RevokedSession { id } } }`, { id: firstId }, { token: second });
    assert.deepEqual(revoked.body, { data: { revokeSession: { id: firstId } } });

    await assert.rejects(stream.events.next(CLOSE_TIMEOUT_MS), /completed|stream ended/);
    await assert.rejects(anonymous.events.next(500), /no event/);
  });

  test('an SSE viewerSessionEnded subscriber gets the event, then the stream ends', async () => {
    const { token } = await createConfirmedUser(server, 'live.sse-ended@example.com');
    const stream = await sseSubscribe(server, ENDED, { token });
    streams.push(stream);
    assert.equal(stream.status, 200);
    // No initial event to wait for: yoga's SSE stream pulls the first value (which subscribes to the
    // revocation topic) as soon as the response is made, before its headers reach the client.
    assert.deepEqual((await server.gql(`mutation { logout { ... on RevokedSessions { count } } }`, {}, { token })).body, { data: { logout: { count: 1 } } });
    const event = (await stream.events.next(CLOSE_TIMEOUT_MS)) as { data: { viewerSessionEnded: { reason: string } } };
    assert.equal(event.data.viewerSessionEnded.reason, 'LOGOUT');
    await assert.rejects(stream.events.next(CLOSE_TIMEOUT_MS), /completed|stream ended/);
  });

  test('viewerSessionEnded is allowed during maintenance mode', async () => {
    const { token: admin } = await createAdmin(server, 'live.maintenance-admin@example.com');
    const { token } = await createConfirmedUser(server, 'live.maintenance@example.com');
    const socket = open(`Bearer ${token}`);
    await socket.connected;
    await setMaintenance(server, admin, { enabled: true, message: 'Back soon' });
    try {
      const ended = wsSubscribe(socket.client, ENDED);
      // Refused with MAINTENANCE_MODE, unlike the subscription above:
      const blocked = (await query(socket, '{ validationRules }')) as { errors?: Array<{ extensions?: { code?: string } }> };
      assert.deepEqual(blocked.errors?.map((e) => e.extensions?.code), ['MAINTENANCE_MODE']);
      assert.deepEqual((await server.gql(`mutation { logout { ... on RevokedSessions { count } } }`, {}, { token })).body, { data: { logout: { count: 1 } } });
      const event = (await ended.events.next(CLOSE_TIMEOUT_MS)) as { data: { viewerSessionEnded: { reason: string } } };
      assert.equal(event.data.viewerSessionEnded.reason, 'LOGOUT');
      assert.equal(await socket.closes.next(CLOSE_TIMEOUT_MS), 4403);
    } finally {
      await setMaintenance(server, admin, { enabled: false });
    }
  });
});
