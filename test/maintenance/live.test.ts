// maintenanceModeChanged and the gate on the live transports: graphql-ws (WebSocket) and GraphQL
// over SSE. Subscribers get the current state at once and every change after — from the mutation
// and from the command line in another process (noticed through SQLite's data_version).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runGatehouse } from '../helpers/cli.ts';
import { setTimeout as delay } from 'node:timers/promises';
import type { Client } from 'graphql-ws';
import { OUTSIDE_CHANGES_INTERVAL_MS } from '../../src/realtime/outside-changes.ts';
import { createConfirmedUser, startTestServer, type TestServer } from '../helpers/server.ts';
import {
  BLOCKED_QUERY,
  CHANGED,
  createAdmin,
  liveCodes,
  setMaintenance,
  sseSubscribe,
  wsClient,
  wsSubscribe,
  type SseStream,
} from './maintenance-helpers.ts';

const OFF = { enabled: false, message: null, endsAt: null };

describe('maintenance mode on live transports', () => {
  let server: TestServer;
  let admin: string;
  let user: string;
  const clients: Client[] = [];
  const streams: SseStream[] = [];

  const connect = (token?: string) => {
    const client = wsClient(server, token);
    clients.push(client);
    return client;
  };
  const sse = async (...args: Parameters<typeof sseSubscribe>) => {
    const stream = await sseSubscribe(...args);
    streams.push(stream);
    return stream;
  };

  const gatehouseCli = (args: string[]) => runGatehouse(args, { cwd: server.dir, databasePath: server.gatehouse.config.databasePath });

  before(async () => {
    server = await startTestServer();
    ({ token: admin } = await createAdmin(server, 'live.admin@example.com'));
    ({ token: user } = await createConfirmedUser(server, 'live.user@example.com'));
  });
  after(async () => {
    for (const stream of streams) stream.close();
    await Promise.all(clients.map((c) => c.dispose()));
    await server.close();
  });

  test('a graphql-ws subscriber gets the current state at once, then each toggle', async () => {
    const { events, stop } = wsSubscribe(connect(), CHANGED);
    assert.deepEqual(await events.next(), { data: { maintenanceModeChanged: OFF } });
    await setMaintenance(server, admin, { enabled: true, message: 'Upgrading (ws)' });
    assert.deepEqual(await events.next(), { data: { maintenanceModeChanged: { enabled: true, message: 'Upgrading (ws)', endsAt: null } } });
    await setMaintenance(server, admin, { enabled: false });
    assert.deepEqual(await events.next(), { data: { maintenanceModeChanged: OFF } });
    stop();
  });

  test('an SSE subscriber (POST and GET) gets the current state at once, then each toggle', async () => {
    const post = await sse(server, CHANGED);
    const get = await sse(server, CHANGED, { method: 'GET', token: user });
    for (const stream of [post, get]) {
      assert.equal(stream.status, 200);
      assert.match(stream.contentType ?? '', /^text\/event-stream/);
      assert.deepEqual(await stream.events.next(), { data: { maintenanceModeChanged: OFF } });
    }
    const endsAt = new Date(server.clock.now().getTime() + 600_000).toISOString();
    await setMaintenance(server, admin, { enabled: true, message: 'Upgrading (sse)', endsAt });
    for (const stream of [post, get]) {
      assert.deepEqual(await stream.events.next(), { data: { maintenanceModeChanged: { enabled: true, message: 'Upgrading (sse)', endsAt } } });
    }
    await setMaintenance(server, admin, { enabled: false });
    for (const stream of [post, get]) assert.deepEqual(await stream.events.next(), { data: { maintenanceModeChanged: OFF } });
  });

  test('an SSE subscription with the session cookie passes the CSRF checks', async () => {
    const stream = await sse(server, CHANGED, { headers: { cookie: `gatehouse_session=${user}`, origin: server.origin } });
    assert.equal(stream.status, 200);
    assert.deepEqual(await stream.events.next(), { data: { maintenanceModeChanged: OFF } });
  });

  test('while on, WebSocket and SSE operations of anonymous and plain users are refused; admins and the allow-list pass', async () => {
    await setMaintenance(server, admin, { enabled: true, message: 'Closed' });
    for (const token of [undefined, user]) {
      const ws = wsSubscribe(connect(token), BLOCKED_QUERY);
      const refused = await ws.events.next();
      assert.deepEqual(liveCodes(refused), ['MAINTENANCE_MODE'], JSON.stringify(refused));
      assert.equal(refused.errors![0]!.extensions!.message, 'Closed');
      assert.equal(refused.data, undefined);

      const stream = await sse(server, BLOCKED_QUERY, { token });
      const refusedSse = await stream.events.next();
      assert.deepEqual(liveCodes(refusedSse), ['MAINTENANCE_MODE'], JSON.stringify(refusedSse));

      // (A subscription selects exactly one root field, so it is either allowed or not.)
      const allowed = wsSubscribe(connect(token), CHANGED);
      assert.deepEqual(await allowed.events.next(), { data: { maintenanceModeChanged: { enabled: true, message: 'Closed', endsAt: null } } });
      allowed.stop();
      const allowedSse = await sse(server, CHANGED, { token });
      assert.equal((await allowedSse.events.next()).data.maintenanceModeChanged.enabled, true);

      const viewer = wsSubscribe(connect(token), `{ viewer { email } }`);
      assert.deepEqual((await viewer.events.next()).errors, undefined);
    }
    const asAdmin = wsSubscribe(connect(admin), BLOCKED_QUERY);
    const result = await asAdmin.events.next();
    assert.equal(result.errors, undefined, JSON.stringify(result));
    assert.ok(result.data.validationRules.length > 0);
    const adminSse = await sse(server, BLOCKED_QUERY, { token: admin });
    assert.equal((await adminSse.events.next()).errors, undefined);
    await setMaintenance(server, admin, { enabled: false });
  });

  test('a toggle from the command line (another process) reaches a WebSocket subscriber', async () => {
    const { events, stop } = wsSubscribe(connect(), CHANGED);
    assert.deepEqual(await events.next(), { data: { maintenanceModeChanged: OFF } });
    const on = await gatehouseCli(['maintenance', 'on', '--message', 'Back at six']);
    assert.equal(on.code, 0, on.stderr);
    assert.deepEqual(await events.next(15_000), { data: { maintenanceModeChanged: { enabled: true, message: 'Back at six', endsAt: null } } });
    // The server's own gate follows the command line too.
    const refused = await server.gql(BLOCKED_QUERY);
    assert.deepEqual(refused.body.errors?.map((e) => e.extensions?.code), ['MAINTENANCE_MODE']);

    const off = await gatehouseCli(['maintenance', 'off']);
    assert.equal(off.code, 0, off.stderr);
    assert.deepEqual(await events.next(15_000), { data: { maintenanceModeChanged: OFF } });
    assert.equal((await server.gql(BLOCKED_QUERY)).body.errors, undefined);
    stop();
  });

  test('a write by another process to something else publishes nothing', async () => {
    // The state in memory comes from the mutation, as the watcher's re-read must match it exactly.
    server.clock.advance(1000);
    await setMaintenance(server, admin, { enabled: false });
    const published = server.gatehouse.services.pubsub.subscribe('maintenance:changed');
    const first = published.next();
    const status = await gatehouseCli(['role', 'add', 'unrelated-role']);
    assert.equal(status.code, 0, status.stderr);
    // Give the watcher a few polls to notice the write (a pause, not a timing assertion).
    await delay(OUTSIDE_CHANGES_INTERVAL_MS * 4);
    // Then a real change: the first event published after the unrelated write must be this one.
    await setMaintenance(server, admin, { enabled: true, message: 'After unrelated' });
    assert.equal((await first).value?.message, 'After unrelated');
    await setMaintenance(server, admin, { enabled: false });
    await published.return?.();
  });
});
