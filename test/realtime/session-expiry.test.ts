// A session that reaches its end by itself — SESSION_TTL after sign-in (absolute) or
// SESSION_IDLE_TTL without a request (idle) — ends its live connections as a revoked one does:
// `viewerSessionEnded` emits SESSION_EXPIRED, then the socket closes with 4403 / the SSE stream
// ends. The server's clock is moved; the expiry check runs on its own timer (every second).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from 'graphql-ws';
import { createConfirmedUser, login, startTestServer, type TestServer } from '../helpers/server.ts';
import { sseSubscribe, wsSubscribe, type SseStream } from '../maintenance/maintenance-helpers.ts';
import { openLiveSocket, socketQuery, type LiveSocket } from './live-socket.ts';
import { CREATE_TOKEN } from '../tokens/token-helpers.ts';

/** Generous: the check runs every second; nothing here measures time. */
const TIMEOUT_MS = 10_000;
const MINUTE = 60_000;
const VIEWER = '{ viewer { email } }';
const ENDED = 'subscription { viewerSessionEnded { reason at } }';

describe('live connections of sessions that expire', () => {
  let server: TestServer;
  let wsUrl: string;
  const clients: Client[] = [];
  const streams: SseStream[] = [];

  const open = (token: string) => openLiveSocket(wsUrl, clients, `Bearer ${token}`, TIMEOUT_MS);
  const query = (socket: LiveSocket, document: string) => socketQuery(socket, document);

  /** A request with the session over HTTP (which slides its idle end). */
  async function use(token: string, email: string): Promise<void> {
    const res = await server.gql(VIEWER, {}, { token });
    assert.deepEqual(res.body, { data: { viewer: { email } } });
  }

  before(async () => {
    // Short lifetimes, so the clock moves by minutes: 2 h absolute, 1 h idle.
    server = await startTestServer({ SESSION_TTL: '2h', SESSION_IDLE_TTL: '1h' });
    wsUrl = server.url.replace(/^http/, 'ws');
  });
  after(async () => {
    for (const stream of streams) stream.close();
    await Promise.all(clients.map((c) => c.dispose()));
    await server.close();
  });

  test('an idle session ends its socket with SESSION_EXPIRED; a session used meanwhile keeps its socket', async () => {
    const email = 'expiry.idle@example.com';
    const { token: idle } = await createConfirmedUser(server, email);
    const { token: used } = await login(server, email);
    const idleSocket = open(idle);
    const usedSocket = open(used);
    await Promise.all([idleSocket.connected, usedSocket.connected]);
    const ended = wsSubscribe(idleSocket.client, ENDED);
    const usedEnded = wsSubscribe(usedSocket.client, ENDED);
    // The subscriptions are registered once a later query on the same socket is answered.
    assert.deepEqual(await query(idleSocket, VIEWER), { data: { viewer: { email } } });
    assert.deepEqual(await query(usedSocket, VIEWER), { data: { viewer: { email } } });

    server.clock.advance(40 * MINUTE);
    await use(used, email);
    server.clock.advance(21 * MINUTE); // 61 min: `idle` unused for over an hour, `used` for 21 min.

    const event = (await ended.events.next(TIMEOUT_MS)) as { data: { viewerSessionEnded: { reason: string; at: string } } };
    assert.equal(event.data.viewerSessionEnded.reason, 'SESSION_EXPIRED');
    assert.equal(Date.parse(event.data.viewerSessionEnded.at), server.clock.now().getTime());
    assert.equal(await idleSocket.closes.next(TIMEOUT_MS), 4403);
    assert.equal((await server.gql(VIEWER, {}, { token: idle })).status, 401);

    // The session used 21 minutes ago is untouched (the check has run by now: it runs every second).
    await assert.rejects(usedSocket.closes.next(2_500), /no event/);
    await assert.rejects(usedEnded.events.next(100), /no event/);
    assert.deepEqual(await query(usedSocket, VIEWER), { data: { viewer: { email } } });
  });

  test('a session used all along ends its socket at its absolute end (SESSION_TTL)', async () => {
    const email = 'expiry.absolute@example.com';
    const { token } = await createConfirmedUser(server, email);
    const socket = open(token);
    await socket.connected;
    const ended = wsSubscribe(socket.client, ENDED);
    assert.deepEqual(await query(socket, VIEWER), { data: { viewer: { email } } });

    // Used every 50 minutes: never idle for an hour, so only the 2 h absolute end applies. The
    // socket learnt the first idle end (1 h) at connection_init: it must not end at that one.
    server.clock.advance(50 * MINUTE);
    await use(token, email);
    server.clock.advance(50 * MINUTE); // 100 min: past the first idle end, but the session slid
    await use(token, email);
    await assert.rejects(socket.closes.next(2_500), /no event/);
    assert.deepEqual(await query(socket, VIEWER), { data: { viewer: { email } } });

    server.clock.advance(21 * MINUTE); // 121 min: last used 21 min ago, but 2 h after sign-in.
    const event = (await ended.events.next(TIMEOUT_MS)) as { data: { viewerSessionEnded: { reason: string } } };
    assert.equal(event.data.viewerSessionEnded.reason, 'SESSION_EXPIRED');
    assert.equal(await socket.closes.next(TIMEOUT_MS), 4403);
    assert.equal((await server.gql(VIEWER, {}, { token })).status, 401);
  });

  test('an SSE viewerSessionEnded subscriber of an idle session gets SESSION_EXPIRED, then the stream ends', async () => {
    const email = 'expiry.sse@example.com';
    const { token } = await createConfirmedUser(server, email);
    const { token: other } = await login(server, email);
    const stream = await sseSubscribe(server, ENDED, { token });
    const otherStream = await sseSubscribe(server, ENDED, { token: other });
    streams.push(stream, otherStream);
    assert.equal(stream.status, 200);
    assert.equal(otherStream.status, 200);

    server.clock.advance(30 * MINUTE);
    await use(other, email);
    server.clock.advance(31 * MINUTE);

    const event = (await stream.events.next(TIMEOUT_MS)) as { data: { viewerSessionEnded: { reason: string } } };
    assert.equal(event.data.viewerSessionEnded.reason, 'SESSION_EXPIRED');
    await assert.rejects(stream.events.next(TIMEOUT_MS), /completed|stream ended/);
    // The other session, used 31 minutes ago, keeps its stream.
    await assert.rejects(otherStream.events.next(2_500), /no event/);
  });

  test('an access token past its expiry ends its socket with TOKEN_EXPIRED; a token without one keeps its socket', async () => {
    const email = 'expiry.token@example.com';
    const { token: session } = await createConfirmedUser(server, email);
    const make = async (input: Record<string, unknown>) => {
      const res = await server.gql(CREATE_TOKEN, { input }, { token: session });
      assert.equal(res.body.data?.createAccessToken.__typename, 'CreatedAccessToken', JSON.stringify(res.body));
      return res.body.data.createAccessToken.token as string;
    };
    const expiring = await make({ name: 'one day', expiresInDays: 1 });
    const lasting = await make({ name: 'no end' });
    const expiringSocket = open(expiring);
    const lastingSocket = open(lasting);
    await Promise.all([expiringSocket.connected, lastingSocket.connected]);
    const ended = wsSubscribe(expiringSocket.client, ENDED);
    const lastingEnded = wsSubscribe(lastingSocket.client, ENDED);
    assert.deepEqual(await query(expiringSocket, VIEWER), { data: { viewer: { email } } });
    assert.deepEqual(await query(lastingSocket, VIEWER), { data: { viewer: { email } } });

    // Both sockets are used all along; only the token's own end counts.
    server.clock.advance(23 * 60 * MINUTE);
    await assert.rejects(ended.events.next(1_500), /no event/, 'not before its end');
    assert.deepEqual(await query(expiringSocket, VIEWER), { data: { viewer: { email } } });
    server.clock.advance(61 * MINUTE);

    const event = (await ended.events.next(TIMEOUT_MS)) as { data: { viewerSessionEnded: { reason: string } } };
    assert.equal(event.data.viewerSessionEnded.reason, 'TOKEN_EXPIRED');
    assert.equal(await expiringSocket.closes.next(TIMEOUT_MS), 4403);
    assert.equal((await server.gql(VIEWER, {}, { token: expiring })).status, 401);
    await assert.rejects(lastingSocket.closes.next(2_500), /no event/);
    await assert.rejects(lastingEnded.events.next(100), /no event/);
    assert.deepEqual(await query(lastingSocket, VIEWER), { data: { viewer: { email } } });
  });
});
