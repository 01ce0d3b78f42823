// Timed bans over the real server: banUser ends the user's sessions and live connections at once,
// refuses every credential (login answers AccountBannedError with the end, and only to the right
// password), shows as status BANNED, and lifts itself when the clock passes `until`; unbanUser
// lifts it early; every bad input is a ValidationError that changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from 'graphql-ws';
import { createConfirmedUser, errorCodes, login, LOGIN, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { createAdmin, wsSubscribe } from '../maintenance/maintenance-helpers.ts';
import { createToken } from '../tokens/token-helpers.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { openLiveSocket, socketQuery } from '../realtime/live-socket.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { User } from '../../src/accounts/entities.ts';

const HOUR = 60 * 60_000;
const BAN = `mutation($id: ID!, $reason: String!, $until: DateTime!) {
  banUser(input: { id: $id, reason: $reason, until: $until }) {
    __typename
    ... on User { id status bannedUntil banReason }
    ... on ValidationError { fields { field messages } }
  }
}`;
const UNBAN = `mutation($id: ID!) { unbanUser(input: { id: $id }) { __typename ... on User { id status bannedUntil banReason } } }`;
const STATUS = `query($id: ID!) { user(id: $id) { status bannedUntil banReason } }`;
const LIST = `query($status: UserStatus) { users(status: $status, first: 100) { edges { node { email } } } }`;
const ENDED = 'subscription { viewerSessionEnded { reason } }';

describe('timed bans', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  const clients: Client[] = [];
  const later = (ms: number) => new Date(server.clock.now().getTime() + ms).toISOString();
  const ban = (id: string, reason: string, until: string, token = admin.token) => server.gql(BAN, { id, reason, until }, { token });
  const audits = (action: string, targetId: string) => server.gatehouse.services.orm.em.fork().find(AuditEvent, { action, targetId });
  const emails = async (status: string) => ((await server.gql(LIST, { status }, { token: admin.token })).body.data.users.edges as any[]).map((e) => e.node.email);

  before(async () => {
    server = await startTestServer();
    admin = await createAdmin(server, 'admin@example.com');
  });
  after(async () => {
    for (const client of clients) await client.dispose();
    await server.close();
  });

  test('a ban ends sessions, tokens and live connections at once, and refuses every credential', async () => {
    const user = await createConfirmedUser(server, 'ben@example.com');
    const second = await login(server, 'ben@example.com');
    const { token: accessToken } = await createToken(server, user.token, { name: 'ci' });
    const socket = openLiveSocket(server.url.replace(/^http/, 'ws'), clients, `Bearer ${user.token}`, 10_000);
    await socket.connected;
    const ended = wsSubscribe(socket.client, ENDED);
    // Operations on one socket run in order: once a later query answers, the subscription is live.
    assert.deepEqual(await socketQuery(socket, '{ viewer { email } }'), { data: { viewer: { email: 'ben@example.com' } } });

    const until = later(48 * HOUR);
    const res = await ban(user.userId, '  Spam in the forums  ', until);
    assert.deepEqual(res.body.data.banUser, { __typename: 'User', id: user.userId, status: 'BANNED', bannedUntil: until, banReason: 'Spam in the forums' });

    const event = (await ended.events.next(10_000)) as { data: { viewerSessionEnded: { reason: string } } };
    assert.equal(event.data.viewerSessionEnded.reason, 'USER_BANNED');
    assert.equal(await socket.closes.next(10_000), 4403);
    for (const token of [user.token, second.token, accessToken]) {
      const viewer = await server.gql('{ viewer { id } }', {}, { token });
      assert.deepEqual(errorCodes(viewer), ['UNAUTHENTICATED'], JSON.stringify(viewer.body));
    }
    const basic = await server.gql('{ viewer { id } }', {}, { headers: { authorization: `Basic ${Buffer.from(`__token__:${accessToken}`).toString('base64')}` } });
    assert.deepEqual(errorCodes(basic), ['UNAUTHENTICATED']);

    const [audit] = await audits('user.ban', user.userId);
    assert.equal(audit?.actorId, admin.userId);
    assert.deepEqual(audit!.details, { until, reason: 'Spam in the forums', sessionsEnded: 2 });
  });

  test('login tells the ban (with its end) only to the right password; the reason stays with admins', async () => {
    const right = await server.gql(LOGIN, { email: 'ben@example.com', password: STRONG_PASSWORD });
    assert.equal(right.body.data.login.__typename, 'AccountBannedError', JSON.stringify(right.body));
    assert.equal(right.body.data.login.code, 'ACCOUNT_BANNED');
    const until = (await server.gql(STATUS, { id: (await server.gatehouse.services.orm.em.fork().findOneOrFail(User, { email: 'ben@example.com' })).id }, { token: admin.token })).body.data.user.bannedUntil;
    const withUntil = await server.gql(`mutation($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { ... on AccountBannedError { until message } } }`, {
      email: 'ben@example.com',
      password: STRONG_PASSWORD,
    });
    assert.equal(withUntil.body.data.login.until, until);
    assert.doesNotMatch(withUntil.body.data.login.message, /Spam/);
    const wrong = await server.gql(LOGIN, { email: 'ben@example.com', password: 'not the password at all' });
    assert.equal(wrong.body.data.login.__typename, 'InvalidCredentialsError', 'no enumeration: a wrong password learns nothing');
  });

  test('status BANNED filters the list; ACTIVE leaves banned accounts out', async () => {
    assert.deepEqual(await emails('BANNED'), ['ben@example.com']);
    assert.ok(!(await emails('ACTIVE')).includes('ben@example.com'));
    assert.ok((await emails('ACTIVE')).includes('admin@example.com'));
  });

  test('the ban lifts itself when the clock passes `until`: sign-in and tokens work again', async () => {
    const user = await createConfirmedUser(server, 'tess@example.com');
    const { token: accessToken } = await createToken(server, user.token, { name: 'ci' });
    assert.equal((await ban(user.userId, 'Cooling off', later(2 * HOUR))).body.data.banUser.status, 'BANNED');
    assert.deepEqual(errorCodes(await server.gql('{ viewer { id } }', {}, { token: accessToken })), ['UNAUTHENTICATED']);

    server.clock.advance(2 * HOUR + 1000);
    assert.deepEqual((await server.gql(STATUS, { id: user.userId }, { token: admin.token })).body.data.user, { status: 'ACTIVE', bannedUntil: null, banReason: null });
    await login(server, 'tess@example.com');
    assert.equal((await server.gql('{ viewer { email } }', {}, { token: accessToken })).body.data.viewer.email, 'tess@example.com', 'the token was kept, refused only while banned');
    assert.ok(!(await emails('BANNED')).includes('tess@example.com'));
  });

  test('unbanUser lifts it early (audited); unbanning an account that is not banned changes nothing', async () => {
    const user = await createConfirmedUser(server, 'uma@example.com');
    await ban(user.userId, 'Mistake', later(24 * HOUR));
    const res = await server.gql(UNBAN, { id: user.userId }, { token: admin.token });
    assert.deepEqual(res.body.data.unbanUser, { __typename: 'User', id: user.userId, status: 'ACTIVE', bannedUntil: null, banReason: null });
    await login(server, 'uma@example.com');
    assert.equal((await audits('user.unban', user.userId)).length, 1);
    await server.gql(UNBAN, { id: user.userId }, { token: admin.token });
    assert.equal((await audits('user.unban', user.userId)).length, 1, 'no second audit row');
  });

  test('bad input is a ValidationError naming the field, and changes nothing', async () => {
    const user = await createConfirmedUser(server, 'vic@example.com');
    const otherAdmin = await createAdmin(server, 'admin2@example.com');
    const cases: Array<[string, string, string, string]> = [
      [user.userId, 'In the past', later(-1000), 'until'],
      [user.userId, 'Now is not the future', later(0), 'until'],
      [user.userId, 'Forever', later(101 * 365 * 24 * HOUR), 'until'],
      [user.userId, '   ', later(HOUR), 'reason'],
      [user.userId, 'x'.repeat(501), later(HOUR), 'reason'],
      [admin.userId, 'Myself', later(HOUR), 'id'],
      [otherAdmin.userId, 'Another admin', later(HOUR), 'id'],
    ];
    for (const [id, reason, until, field] of cases) {
      const result = (await ban(id, reason, until)).body.data.banUser;
      assert.equal(result.__typename, 'ValidationError', `${field}: ${JSON.stringify(result)}`);
      assert.deepEqual(result.fields.map((f: any) => f.field), [field]);
    }
    assert.equal((await audits('user.ban', user.userId)).length, 0);
    assert.deepEqual((await server.gql(STATUS, { id: user.userId }, { token: admin.token })).body.data.user.status, 'ACTIVE');
    await login(server, 'vic@example.com');
    await login(server, 'admin2@example.com');

    const garbage = await server.gql(BAN, { id: user.userId, reason: 'x', until: 'next tuesday' }, { token: admin.token });
    assert.deepEqual(errorCodes(garbage), ['BAD_USER_INPUT']);
  });

  test('only users:write may ban; an unknown id is NOT_FOUND', async () => {
    const plain = await createConfirmedUser(server, 'walt@example.com');
    const target = await createConfirmedUser(server, 'xena@example.com');
    assert.deepEqual(errorCodes(await ban(target.userId, 'No', later(HOUR), plain.token)), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(UNBAN, { id: target.userId }, { token: plain.token })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await ban('00000000-0000-0000-0000-000000000000', 'Nobody', later(HOUR))), ['NOT_FOUND']);
    await grantRoles(server, plain.userId, 'admin');
    await login(server, 'xena@example.com');
  });
});
