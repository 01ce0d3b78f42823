// Self-service account deletion: it needs a recent sign-in (a stale session reauthenticates first,
// throttled like a login), every session ends, the cookie is cleared, the last active admin cannot
// leave, and it is audited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { loginOutcome } from '../accounts/account-helpers.ts';
import { auditEvents, dataOf, grantRole, OPS, sessionCount, storedUser } from './users-helpers.ts';

const VIEWER = `{ viewer { id } }`;
const WRONG = 'not the password at all';

describe('deleteAccount', () => {
  let server: TestServer;
  before(async () => {
    // The production step-up window (the harness lifts it for other suites).
    server = await startTestServer({ STEP_UP_WINDOW: '10m' });
  });
  after(() => server.close());

  const deleteAccount = async (token: string) => server.gql(OPS.deleteAccount, {}, { token });
  const reauthenticate = async (token: string, password: string) =>
    server.gql(`mutation($p: String!) { reauthenticate(input: { password: $p }) { __typename ... on Error { code } } }`, { p: password }, { token });
  const STALE = 11 * 60_000;

  async function assertSignedOut(token: string) {
    const res = await server.gql(VIEWER, {}, { token });
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED']);
  }

  test('anonymous callers are UNAUTHENTICATED', async () => {
    const res = await server.gql(OPS.deleteAccount);
    assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED']);
  });

  test('a session signed in long ago must reauthenticate first; until then nothing changes', async () => {
    const { token, userId } = await createConfirmedUser(server, 'del.stale@example.com');
    server.clock.advance(STALE);
    const refused = await deleteAccount(token);
    assert.deepEqual(errorCodes(refused), ['REAUTHENTICATION_REQUIRED']);
    assert.equal(dataOf(await reauthenticate(token, WRONG)).reauthenticate.__typename, 'InvalidCredentialsError');
    assert.deepEqual(errorCodes(await deleteAccount(token)), ['REAUTHENTICATION_REQUIRED']);
    assert.ok(await storedUser(server, userId));
    assert.equal(dataOf(await server.gql(VIEWER, {}, { token })).viewer.id, userId);
    assert.deepEqual(await auditEvents(server, 'account.delete', userId), []);
    assert.equal(dataOf(await reauthenticate(token, STRONG_PASSWORD)).reauthenticate.__typename, 'Reauthenticated');
    assert.equal(dataOf(await deleteAccount(token)).deleteAccount.__typename, 'DeletedUser');
  });

  test('a recent session deletes the account and ends every session; the deletion is audited', async () => {
    const { token, userId } = await createConfirmedUser(server, 'del.ok@example.com');
    const { token: other } = await login(server, 'del.ok@example.com');
    const result = dataOf(await deleteAccount(token)).deleteAccount;
    assert.deepEqual(result, { __typename: 'DeletedUser', id: userId, email: 'del.ok@example.com' });
    await assertSignedOut(token);
    await assertSignedOut(other);
    assert.equal(await storedUser(server, userId), null);
    assert.equal(await sessionCount(server, userId), 0);
    assert.equal(await loginOutcome(server, 'del.ok@example.com'), 'INVALID_CREDENTIALS');

    const [event, ...more] = await auditEvents(server, 'account.delete', userId);
    assert.equal(more.length, 0);
    assert.equal(event!.actorId, userId);
    assert.deepEqual(event!.details, { email: 'del.ok@example.com', sessionsEnded: 2 });
    assert.ok(!JSON.stringify(event).includes(STRONG_PASSWORD));
    // The address can be registered again.
    const again = await server.gql(`mutation($input: RegisterInput!) { register(input: $input) { __typename } }`, {
      input: { email: 'del.ok@example.com', password: STRONG_PASSWORD },
    });
    assert.equal(dataOf(again).register.__typename, 'AccountStatus');
  });

  test('over the session cookie, the cookie is cleared', async () => {
    const { token } = await createConfirmedUser(server, 'del.cookie@example.com');
    const res = await server.gql(OPS.deleteAccount, {}, { cookie: `gatehouse_session=${token}` });
    assert.equal(dataOf(res).deleteAccount.__typename, 'DeletedUser');
    const cleared = res.headers.getSetCookie().find((c) => c.startsWith('gatehouse_session='));
    assert.ok(cleared, JSON.stringify(res.headers.getSetCookie()));
    assert.match(cleared, /^gatehouse_session=;|Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  });

  test('wrong passwords to reauthenticate are throttled like logins, and share the login counter', async () => {
    const { token, userId } = await createConfirmedUser(server, 'del.throttle@example.com');
    server.clock.advance(STALE);
    for (let i = 0; i < 5; i++) {
      assert.equal(dataOf(await reauthenticate(token, WRONG)).reauthenticate.__typename, 'InvalidCredentialsError', `attempt ${i + 1}`);
    }
    const limited = await reauthenticate(token, STRONG_PASSWORD);
    assert.deepEqual(errorCodes(limited), ['RATE_LIMITED'], JSON.stringify(limited.body));
    assert.ok(limited.body.errors![0]!.extensions!.retryAfter >= 1);
    assert.deepEqual(errorCodes(await deleteAccount(token)), ['REAUTHENTICATION_REQUIRED'], 'not deleted while throttled');
    assert.ok(await storedUser(server, userId));
    // The same account and address cannot switch to login to keep guessing.
    const viaLogin = await server.gql(`mutation { login(input: { email: "del.throttle@example.com", password: "${WRONG}" }) { __typename } }`);
    assert.deepEqual(errorCodes(viaLogin), ['RATE_LIMITED']);

    server.clock.advance(2000);
    assert.equal(dataOf(await reauthenticate(token, STRONG_PASSWORD)).reauthenticate.__typename, 'Reauthenticated');
    assert.equal(dataOf(await deleteAccount(token)).deleteAccount.__typename, 'DeletedUser');
  });

  test('the last active admin cannot delete their account; with another admin they can', async () => {
    const first = await createConfirmedUser(server, 'del.admin1@example.com');
    await grantRole(server, first.userId, 'admin');
    const refused = dataOf(await deleteAccount(first.token)).deleteAccount;
    assert.equal(refused.__typename, 'LastAdminError');
    assert.equal(refused.code, 'LAST_ADMIN');
    assert.ok(await storedUser(server, first.userId));
    assert.equal(dataOf(await server.gql(VIEWER, {}, { token: first.token })).viewer.id, first.userId, 'sessions kept');

    const second = await createConfirmedUser(server, 'del.admin2@example.com');
    await grantRole(server, second.userId, 'admin');
    assert.equal(dataOf(await deleteAccount(first.token)).deleteAccount.__typename, 'DeletedUser');
    assert.equal(dataOf(await deleteAccount(second.token)).deleteAccount.__typename, 'LastAdminError');
  });
});
