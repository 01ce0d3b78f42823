// Impersonation over the real server: a support agent (a role with `users:impersonate`, not an admin)
// or an admin starts a session AS a user; it shows who and why on `viewer` and in the user's session
// list, cannot change the user's credentials or impersonate further, lasts at most an hour, ends
// with stopImpersonating or when its admin loses the right, and its audit rows name the admin as
// the actor and the user as the impersonated account. Every refusal changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { createAdmin } from '../maintenance/maintenance-helpers.ts';
import { createRoleInDb, grantRoles } from '../access/access-helpers.ts';
import { createToken } from '../tokens/token-helpers.ts';
import { openLiveSocket, socketQuery } from '../realtime/live-socket.ts';
import { wsSubscribe } from '../maintenance/maintenance-helpers.ts';
import type { Client } from 'graphql-ws';
import { AuditEvent } from '../../src/audit/entities.ts';
import { Session } from '../../src/sessions/entities.ts';
import { User } from '../../src/accounts/entities.ts';

const MINUTE = 60_000;
const IMPERSONATE = `mutation($id: ID!, $reason: String!) {
  impersonateUser(input: { id: $id, reason: $reason }) {
    __typename
    ... on ImpersonationSession { token sessionId expiresAt user { id email } }
    ... on Error { code message }
    ... on ValidationError { fields { field messages } }
  }
}`;
const STOP = `mutation { stopImpersonating { __typename ... on StoppedImpersonation { sessionId } ... on Error { code message } } }`;
const VIEWER = `{ viewer { id email impersonatedBy { id email reason } sessions { id current impersonatedBy { id email reason } } } }`;

describe('impersonation', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  let agent: { token: string; userId: string };
  let alice: { token: string; userId: string };
  const em = () => server.gatehouse.services.orm.em.fork();
  const impersonate = (id: string, reason = 'Ticket #4711: the dashboard is blank', token = agent.token) => server.gql(IMPERSONATE, { id, reason }, { token });
  const started = async (id: string, token = agent.token) => {
    const res = await impersonate(id, 'Ticket #4711: the dashboard is blank', token);
    assert.equal(res.body.data?.impersonateUser?.__typename, 'ImpersonationSession', JSON.stringify(res.body));
    return res.body.data.impersonateUser as { token: string; sessionId: string; expiresAt: string; user: { id: string; email: string } };
  };
  const sessions = (userId: string) => em().count(Session, { user: userId });

  before(async () => {
    // The production step-up window: impersonating needs a recent sign-in.
    server = await startTestServer({ STEP_UP_WINDOW: '10m' });
    admin = await createAdmin(server, 'admin@example.com');
    await createRoleInDb(server, 'support', ['users:read', 'users:impersonate']);
    agent = await createConfirmedUser(server, 'agent@example.com');
    await grantRoles(server, agent.userId, 'support');
    alice = await createConfirmedUser(server, 'alice@example.com');
  });
  const clients: Client[] = [];
  after(async () => {
    for (const client of clients) await client.dispose();
    await server.close();
  });

  test('a session as the user: viewer and the session list show who is acting and why; no cookie is set', async () => {
    const res = await impersonate(alice.userId);
    const result = res.body.data.impersonateUser;
    assert.equal(result.__typename, 'ImpersonationSession', JSON.stringify(res.body));
    assert.deepEqual(result.user, { id: alice.userId, email: 'alice@example.com' });
    assert.equal(new Date(result.expiresAt).getTime(), server.clock.now().getTime() + 60 * MINUTE, 'an hour, not SESSION_TTL');
    assert.equal(res.headers.get('set-cookie'), null, "the agent's browser keeps its own session");

    const by = { id: agent.userId, email: 'agent@example.com', reason: 'Ticket #4711: the dashboard is blank' };
    const seen = (await server.gql(VIEWER, {}, { token: result.token })).body.data.viewer;
    assert.equal(seen.email, 'alice@example.com');
    assert.deepEqual(seen.impersonatedBy, by);
    assert.deepEqual(seen.sessions.find((s: any) => s.current).impersonatedBy, by);

    // Alice herself sees it too, in her own session list, and is not impersonated.
    const own = (await server.gql(VIEWER, {}, { token: alice.token })).body.data.viewer;
    assert.equal(own.impersonatedBy, null);
    assert.deepEqual(own.sessions.find((s: any) => s.id === result.sessionId).impersonatedBy, by);
    assert.equal(own.sessions.find((s: any) => s.current).impersonatedBy, null);

    // The agent's own session is untouched.
    assert.equal((await server.gql('{ viewer { email } }', {}, { token: agent.token })).body.data.viewer.email, 'agent@example.com');

    const [audit] = await em().find(AuditEvent, { action: 'user.impersonate', targetId: alice.userId });
    assert.equal(audit?.actorId, agent.userId);
    assert.equal(audit!.impersonatedUserId, null, 'the start is the agent acting as themselves');
    assert.deepEqual(audit!.details, { reason: 'Ticket #4711: the dashboard is blank', sessionId: result.sessionId, expiresAt: result.expiresAt });
  });

  test("it cannot change the user's credentials, step up, or impersonate further (IMPERSONATION_RESTRICTED)", async () => {
    const bob = await createConfirmedUser(server, 'bob@example.com');
    const { token: bobToken } = await createToken(server, bob.token, { name: 'ci' });
    const tokenId = (await server.gql('{ viewer { accessTokens { id } } }', {}, { token: bob.token })).body.data.viewer.accessTokens[0].id;
    const { token } = await started(bob.userId);
    const carol = await createConfirmedUser(server, 'carol@example.com');
    const before = await em().findOneOrFail(User, { id: bob.userId }, { populate: ['passwordHash'] });

    const refused: Array<[string, string, Record<string, unknown>?]> = [
      ['changePassword', `mutation { changePassword(input: { currentPassword: "${STRONG_PASSWORD}", newPassword: "an entirely new passphrase 42" }) { __typename } }`],
      ['requestEmailChange', 'mutation { requestEmailChange(input: { newEmail: "mallory@example.com" }) { __typename } }'],
      ['createAccessToken', 'mutation { createAccessToken(input: { name: "mine" }) { __typename } }'],
      ['revokeAccessToken', 'mutation($id: ID!) { revokeAccessToken(input: { id: $id }) { __typename } }', { id: tokenId }],
      ['enrollTotp', 'mutation { enrollTotp { __typename } }'],
      ['startPasskeyRegistration', 'mutation { startPasskeyRegistration { __typename } }'],
      ['reauthenticate', `mutation { reauthenticate(input: { password: "${STRONG_PASSWORD}" }) { __typename } }`],
      ['deleteAccount', 'mutation { deleteAccount { __typename } }'],
    ];
    for (const [name, document, variables] of refused) {
      const res = await server.gql(document, variables ?? {}, { token });
      assert.deepEqual(errorCodes(res), ['IMPERSONATION_RESTRICTED'], `${name}: ${JSON.stringify(res.body)}`);
    }
    // Bob cannot impersonate; were he given the right during the impersonation, acting as him still could not.
    assert.deepEqual(errorCodes(await server.gql(IMPERSONATE, { id: carol.userId, reason: 'chain' }, { token })), ['FORBIDDEN']);
    await grantRoles(server, bob.userId, 'support');
    assert.deepEqual(errorCodes(await server.gql(IMPERSONATE, { id: carol.userId, reason: 'chain' }, { token })), ['IMPERSONATION_RESTRICTED']);
    const after = await em().findOneOrFail(User, { id: bob.userId }, { populate: ['passwordHash'] });
    assert.equal(after.passwordHash, before.passwordHash);
    assert.equal(after.email, 'bob@example.com');
    assert.equal((await server.gql('{ viewer { email } }', {}, { token: bobToken })).body.data.viewer.email, 'bob@example.com', 'his token still works');
    assert.equal(await sessions(carol.userId), 1, 'no session as carol');
    // Reading, and ordinary non-credential changes, work as the user.
    const profile = await server.gql('mutation { updateProfile(input: { displayName: "Bobby" }) { __typename ... on User { displayName } } }', {}, { token });
    assert.equal(profile.body.data.updateProfile.displayName, 'Bobby', JSON.stringify(profile.body));
  });

  test('audit rows written during it name the agent as actor and the user as the impersonated account', async () => {
    const dave = await createConfirmedUser(server, 'dave@example.com');
    const { token, sessionId } = await started(dave.userId);
    const stopped = await server.gql(STOP, {}, { token });
    assert.deepEqual(stopped.body.data.stopImpersonating, { __typename: 'StoppedImpersonation', sessionId });
    const [row] = await em().find(AuditEvent, { action: 'user.impersonate_stop', targetId: dave.userId });
    assert.equal(row?.actorId, agent.userId);
    assert.equal(row!.actorEmail, 'agent@example.com');
    assert.equal(row!.impersonatedUserId, dave.userId);
    assert.equal(row!.impersonatedUserEmail, 'dave@example.com');

    // The audit log reads and filters them.
    const log = await server.gql(
      `query($id: ID!) { auditEvents(filter: { impersonatedUserId: $id }) { edges { node { action actorId impersonatedUserId impersonatedUserEmail } } } }`,
      { id: dave.userId },
      { token: admin.token },
    );
    assert.deepEqual(
      log.body.data.auditEvents.edges.map((e: any) => e.node),
      [{ action: 'user.impersonate_stop', actorId: agent.userId, impersonatedUserId: dave.userId, impersonatedUserEmail: 'dave@example.com' }],
    );
  });

  test("stopImpersonating ends only the impersonation; on the agent's own session it is NotImpersonatingError", async () => {
    const erin = await createConfirmedUser(server, 'erin@example.com');
    const { token } = await started(erin.userId);
    assert.equal((await server.gql(STOP, {}, { token })).body.data.stopImpersonating.__typename, 'StoppedImpersonation');
    assert.deepEqual(errorCodes(await server.gql('{ viewer { id } }', {}, { token })), ['UNAUTHENTICATED']);
    assert.equal((await server.gql('{ viewer { email } }', {}, { token: agent.token })).body.data.viewer.email, 'agent@example.com');
    assert.equal((await server.gql('{ viewer { email } }', {}, { token: erin.token })).body.data.viewer.email, 'erin@example.com', "erin's own session stays");

    const own = await server.gql(STOP, {}, { token: agent.token });
    assert.equal(own.body.data.stopImpersonating.code, 'NOT_IMPERSONATING');
    assert.equal((await server.gql('{ viewer { email } }', {}, { token: agent.token })).body.data.viewer.email, 'agent@example.com');
  });

  test("stopping it ends the impersonation's live connection at once", async () => {
    const kim = await createConfirmedUser(server, 'kim@example.com');
    const { token } = await started(kim.userId);
    const socket = openLiveSocket(server.url.replace(/^http/, 'ws'), clients, `Bearer ${token}`, 10_000);
    await socket.connected;
    const ended = wsSubscribe(socket.client, 'subscription { viewerSessionEnded { reason } }');
    const seen = await socketQuery(socket, '{ viewer { email impersonatedBy { email } } }');
    assert.deepEqual(seen, { data: { viewer: { email: 'kim@example.com', impersonatedBy: { email: 'agent@example.com' } } } });
    assert.equal((await server.gql(STOP, {}, { token })).body.data.stopImpersonating.__typename, 'StoppedImpersonation');
    const event = (await ended.events.next(10_000)) as { data: { viewerSessionEnded: { reason: string } } };
    assert.equal(event.data.viewerSessionEnded.reason, 'LOGOUT');
    assert.equal(await socket.closes.next(10_000), 4403);
  });

  test('it lasts an hour however actively it is used', async () => {
    const fay = await createConfirmedUser(server, 'fay@example.com');
    const { token } = await started(fay.userId);
    for (let minutes = 10; minutes <= 50; minutes += 10) {
      server.clock.advance(10 * MINUTE);
      assert.equal((await server.gql('{ viewer { email } }', {}, { token })).body.data?.viewer?.email, 'fay@example.com', `at ${minutes} min`);
    }
    server.clock.advance(9 * MINUTE);
    assert.equal((await server.gql('{ viewer { email } }', {}, { token })).body.data?.viewer?.email, 'fay@example.com', 'at 59 min');
    server.clock.advance(2 * MINUTE);
    assert.deepEqual(errorCodes(await server.gql('{ viewer { id } }', {}, { token })), ['UNAUTHENTICATED']);
    // The agent and the admin sign in again for the tests after this one (their step-up window has passed).
    agent = { ...agent, token: (await login(server, 'agent@example.com')).token };
    admin = { ...admin, token: (await login(server, 'admin@example.com')).token };
  });

  test('it ends as soon as its agent loses the permission or is disabled', async () => {
    const gus = await createConfirmedUser(server, 'gus@example.com');
    const helper = await createConfirmedUser(server, 'helper@example.com');
    await grantRoles(server, helper.userId, 'support');
    const first = await started(gus.userId, helper.token);
    const role = await server.gql(`mutation($id: ID!) { updateUser(input: { id: $id, roles: ["user"] }) { __typename } }`, { id: helper.userId }, { token: admin.token });
    assert.equal(role.body.data.updateUser.__typename, 'User', JSON.stringify(role.body));
    assert.deepEqual(errorCodes(await server.gql('{ viewer { id } }', {}, { token: first.token })), ['UNAUTHENTICATED']);

    await grantRoles(server, helper.userId, 'support');
    const second = await started(gus.userId, helper.token);
    const socket = openLiveSocket(server.url.replace(/^http/, 'ws'), clients, `Bearer ${second.token}`, 10_000);
    await socket.connected;
    assert.deepEqual(await socketQuery(socket, '{ viewer { email } }'), { data: { viewer: { email: 'gus@example.com' } } });
    const disable = await server.gql(`mutation($id: ID!) { updateUser(input: { id: $id, disabled: true }) { __typename } }`, { id: helper.userId }, { token: admin.token });
    assert.equal(disable.body.data.updateUser.__typename, 'User');
    assert.deepEqual(errorCodes(await server.gql('{ viewer { id } }', {}, { token: second.token })), ['UNAUTHENTICATED']);
    assert.equal(await socket.closes.next(10_000), 4403, "disabling the agent ends the impersonation's live connection");
    assert.equal(await sessions(gus.userId), 1, 'only his own session is left');
  });

  test('admins, impersonators, yourself and locked-out accounts cannot be impersonated; nothing is created', async () => {
    const other = await createConfirmedUser(server, 'other-agent@example.com');
    await grantRoles(server, other.userId, 'support');
    const locked = await createConfirmedUser(server, 'locked@example.com');
    const off = await server.gql(`mutation($id: ID!) { updateUser(input: { id: $id, disabled: true }) { __typename } }`, { id: locked.userId }, { token: admin.token });
    assert.equal(off.body.data.updateUser.__typename, 'User');
    const cases: Array<[string, string, RegExp, string?]> = [
      ['an admin', admin.userId, /Administrators cannot be impersonated/],
      ['an impersonator', other.userId, /users:impersonate/],
      ['yourself', agent.userId, /your own account/],
      ['a disabled account', locked.userId, /disabled or banned/],
      ['an admin, by an admin', admin.userId, /your own account/, admin.token],
    ];
    for (const [what, id, message, token] of cases) {
      const before = await em().count(Session, {});
      const res = await impersonate(id, 'because', token ?? agent.token);
      assert.equal(res.body.data?.impersonateUser?.code, "NOT_IMPERSONABLE", `${what}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.data.impersonateUser.message, message, what);
      assert.equal(await em().count(Session, {}), before, `${what}: no session`);
    }
    assert.equal((await em().find(AuditEvent, { action: 'user.impersonate', targetId: { $in: [admin.userId, other.userId, locked.userId] } })).length, 0);
  });

  test('a support agent cannot act as an account holding a permission they lack (FORBIDDEN)', async () => {
    await createRoleInDb(server, 'auditor', ['audit:read']);
    const ivy = await createConfirmedUser(server, 'ivy@example.com');
    await grantRoles(server, ivy.userId, 'auditor');
    const res = await impersonate(ivy.userId);
    assert.deepEqual(errorCodes(res), ['FORBIDDEN'], JSON.stringify(res.body));
    assert.match(res.body.errors?.[0]?.message ?? "", /audit:read/);
    assert.equal(await sessions(ivy.userId), 1);
    // An admin holds every permission, so may.
    assert.equal((await started(ivy.userId, admin.token)).user.email, 'ivy@example.com');
  });

  test('bad input and missing rights: ValidationError, NOT_FOUND, FORBIDDEN, REAUTHENTICATION_REQUIRED', async () => {
    const hal = await createConfirmedUser(server, 'hal@example.com');
    const count = () => sessions(hal.userId);
    const blank = await impersonate(hal.userId, '   ');
    assert.deepEqual(blank.body.data.impersonateUser.fields.map((f: any) => f.field), ['reason']);
    const long = await impersonate(hal.userId, 'x'.repeat(501));
    assert.match(long.body.data.impersonateUser.fields[0].messages[0], /at most 500/);
    assert.deepEqual(errorCodes(await impersonate('00000000-0000-4000-8000-000000000000')), ['NOT_FOUND']);
    const plain = await createConfirmedUser(server, 'plain@example.com');
    assert.deepEqual(errorCodes(await impersonate(hal.userId, 'why', plain.token)), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(IMPERSONATE, { id: hal.userId, reason: 'why' })), ['UNAUTHENTICATED']);
    server.clock.advance(11 * MINUTE);
    const stale = await impersonate(hal.userId);
    assert.deepEqual(errorCodes(stale), ["REAUTHENTICATION_REQUIRED"], JSON.stringify(stale.body));
    const again = await server.gql(`mutation { reauthenticate(input: { password: "${STRONG_PASSWORD}" }) { __typename } }`, {}, { token: agent.token });
    assert.equal(again.body.data.reauthenticate.__typename, 'Reauthenticated', JSON.stringify(again.body));
    assert.equal(await count(), 1, 'no session was made by the refusals');
    await started(hal.userId);
    assert.equal(await count(), 2);
  });
});
