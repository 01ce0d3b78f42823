// `maintenanceModeChanged` is executed once per change for all subscribers with the same access
// (src/realtime/shared-subscriptions.ts). What each subscriber sees must not change: its own
// access decides `updatedBy`, WebSocket and SSE subscribers share, and the subscriber that
// started a shared execution may leave (or lose its session) without ending it for the others.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from 'graphql-ws';
import { createConfirmedUser, startTestServer, type TestServer } from '../helpers/server.ts';
import { createAdmin, EventQueue, setMaintenance, sseSubscribe, STATE_FIELDS, wsClient, wsSubscribe, type LiveResult, type SseStream } from './maintenance-helpers.ts';

const FULL = `subscription { maintenanceModeChanged { ${STATE_FIELDS} } }`;
const ADMIN_EMAIL = 'shared.admin@example.com';

describe('maintenanceModeChanged shared by its subscribers', () => {
  let server: TestServer;
  let admin: string;
  const clients: Client[] = [];
  const streams: SseStream[] = [];
  const groups = () => server.gatehouse.sharedSubscriptions.groups;

  const ws = (query: string, token?: string) => {
    const client = wsClient(server, token);
    clients.push(client);
    return { client, ...wsSubscribe(client, query) };
  };
  const state = (result: LiveResult) => result.data?.maintenanceModeChanged;
  const until = async (condition: () => boolean, what: string) => {
    for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(condition(), `${what}: still not the case after 5 s`);
  };

  before(async () => {
    server = await startTestServer();
    ({ token: admin } = await createAdmin(server, ADMIN_EMAIL));
  });
  after(async () => {
    for (const stream of streams) stream.close();
    await Promise.all(clients.map((c) => c.dispose()));
    await server.close();
  });

  test('anonymous, plain users and admins over WebSocket and SSE each see what their access allows', async () => {
    const { token: user } = await createConfirmedUser(server, 'shared.user@example.com');
    const anonymousWs = ws(FULL);
    const anonymousSse = await sseSubscribe(server, FULL);
    streams.push(anonymousSse);
    const userWs = ws(FULL, user);
    const adminWs = ws(FULL, admin);
    const adminSse = await sseSubscribe(server, FULL, { token: admin });
    streams.push(adminSse);
    const all = [anonymousWs.events, anonymousSse.events, userWs.events, adminWs.events, adminSse.events];
    for (const events of all) assert.equal(state(await events.next()).enabled, false);
    // anonymous (WebSocket and SSE together), the plain user, the admins: three executions per change.
    assert.equal(groups(), 3);

    const { __typename, ...changed } = await setMaintenance(server, admin, { enabled: true, message: 'Shared' });
    const expected = (updatedBy: string | null) => ({ data: { maintenanceModeChanged: { ...changed, updatedBy } } });
    assert.equal(changed.updatedBy, ADMIN_EMAIL);
    assert.deepEqual(await anonymousWs.events.next(), expected(null));
    assert.deepEqual(await anonymousSse.events.next(), expected(null));
    assert.deepEqual(await userWs.events.next(), expected(null));
    assert.deepEqual(await adminWs.events.next(), expected(ADMIN_EMAIL));
    assert.deepEqual(await adminSse.events.next(), expected(ADMIN_EMAIL));

    await setMaintenance(server, admin, { enabled: false });
    for (const events of all) assert.equal(state(await events.next()).enabled, false);
    anonymousWs.stop();
    anonymousSse.close();
    userWs.stop();
    adminWs.stop();
    adminSse.close();
    await until(() => groups() === 0, 'every shared execution ended with its last subscriber');
  });

  test('the subscriber that started the shared execution logs out: its socket closes, the others go on', async () => {
    const { token: first } = await createConfirmedUser(server, 'shared.first@example.com');
    const { token: second } = await createConfirmedUser(server, 'shared.second@example.com');
    const starter = ws(FULL, first);
    assert.equal(state(await starter.events.next()).enabled, false);
    const closed = new EventQueue<number>();
    starter.client.on('closed', (event) => closed.push((event as { code: number }).code));
    const joiner = ws(FULL, second);
    assert.equal(state(await joiner.events.next()).enabled, false);
    assert.equal(groups(), 1, 'both plain users share one execution');

    assert.deepEqual((await server.gql('mutation { logout { ... on RevokedSessions { count } } }', {}, { token: first })).body, { data: { logout: { count: 1 } } });
    assert.equal(await closed.next(), 4403);
    const { __typename, ...changed } = await setMaintenance(server, admin, { enabled: true, message: 'After logout' });
    assert.deepEqual(state(await joiner.events.next()), { ...changed, updatedBy: null });

    // A subscriber joining now gets the current state first, from the running execution.
    const late = ws(FULL, second);
    assert.deepEqual(state(await late.events.next()).message, 'After logout');
    assert.equal(groups(), 1);
    await setMaintenance(server, admin, { enabled: false });
    for (const events of [joiner.events, late.events]) assert.equal(state(await events.next()).enabled, false);
    joiner.stop();
    late.stop();
    await until(() => groups() === 0, 'the shared execution ended');
  });
});
