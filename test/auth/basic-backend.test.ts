// AUTH_BACKEND=basic end to end: every request needs HTTP Basic (email + password, or __token__ +
// an access token); missing or wrong credentials answer 401 with a Basic challenge (so browsers
// show their dialog), failures are throttled (429 + Retry-After), and verified credentials are
// remembered for BASIC_AUTH_CACHE_TTL — a disabled account is still refused at once, and a password
// change, reset or factor change (made anywhere) takes effect on the very next request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, STRONG_PASSWORD, type GqlResponse, type TestServer, answeredNothing } from '../helpers/server.ts';
import { mailsTo, tokenIn } from '../accounts/account-helpers.ts';
import { CONFIRM, ENROLL, totpCode } from '../mfa/mfa-helpers.ts';
import { User } from '../../src/accounts/entities.ts';
import { hashPassword } from '../../src/accounts/passwords.ts';
import {
  asBasic,
  asTokenBasic,
  assertUnauthenticated,
  CREATE_TOKEN,
  createAccount,
  createToken,
  dataOf,
  REVOKE_TOKEN,
  VIEWER,
  viewerEmail,
  withAuthorization,
} from '../tokens/token-helpers.ts';

const CHALLENGE = 'Basic realm="Gatehouse", charset="UTF-8"';
const WRONG = 'not the right password at all';
const NEW_PASSWORD = 'an entirely different passphrase';
const CHANGE_PASSWORD = `mutation($c: String!, $n: String!) { changePassword(input: { currentPassword: $c, newPassword: $n }) { __typename ... on Error { code message } } }`;
const REQUEST_RESET = `mutation($email: String!) { requestPasswordReset(input: { email: $email }) { __typename } }`;
const SET_USER_PASSWORD = `mutation($id: ID!, $password: String!) { setUserPassword(input: { id: $id, password: $password }) { __typename ... on Error { code message } } }`;

function assertThrottled(res: GqlResponse): number {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.deepEqual(res.body.errors?.map((e) => e.extensions?.code), ['RATE_LIMITED']);
  assert.ok(answeredNothing(res));
  const retryAfter = res.body.errors![0]!.extensions!.retryAfter;
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `retryAfter ${retryAfter}`);
  assert.equal(res.headers.get('retry-after'), String(retryAfter));
  return retryAfter;
}

describe('AUTH_BACKEND=basic', () => {
  let server: TestServer;
  const fork = () => server.gatehouse.services.orm.em.fork();

  before(async () => {
    server = await startTestServer({ AUTH_BACKEND: 'basic', BASIC_AUTH_CACHE_TTL: '60s' });
  });
  after(() => server.close());

  test('no credentials: 401 with a Basic challenge, even for a public query', async () => {
    for (const query of [VIEWER, '{ validationRules }', 'mutation { logout { ... on RevokedSessions { count } } }']) {
      const message = assertUnauthenticated(await server.gql(query), CHALLENGE);
      assert.match(message, /HTTP Basic/);
    }
  });

  test('correct email and password: 200 and the viewer (email in any case)', async () => {
    await createAccount(server, 'basic.ok@example.com');
    assert.equal(await viewerEmail(server, asBasic('basic.ok@example.com', STRONG_PASSWORD)), 'basic.ok@example.com');
    assert.equal(await viewerEmail(server, asBasic('BASIC.OK@example.com', STRONG_PASSWORD)), 'basic.ok@example.com');
    // Public queries work once signed in.
    assert.ok(dataOf(await server.gql('{ validationRules }', {}, asBasic('basic.ok@example.com', STRONG_PASSWORD))).validationRules.length > 0);
  });

  test('a wrong password or an unknown email: 401 with the challenge and the same message', async () => {
    await createAccount(server, 'basic.wrong@example.com');
    const wrong = assertUnauthenticated(await server.gql(VIEWER, {}, asBasic('basic.wrong@example.com', WRONG)), CHALLENGE);
    const unknown = assertUnauthenticated(await server.gql(VIEWER, {}, asBasic('basic.nobody@example.com', WRONG)), CHALLENGE);
    assert.equal(wrong, unknown);
    assert.match(wrong, /incorrect/);
  });

  test('a Bearer header or another scheme is refused with a message naming what this backend takes', async () => {
    for (const header of ['Bearer abcdefghijklmnop', 'Token abc', 'Bearer']) {
      const message = assertUnauthenticated(await server.gql(VIEWER, {}, withAuthorization(header)), CHALLENGE);
      if (header !== 'Bearer') assert.match(message, /HTTP Basic with your email and password/);
    }
  });

  test('repeated wrong passwords are throttled (429, Retry-After); the right one is refused until it passes', async () => {
    await createAccount(server, 'basic.throttle@example.com');
    for (let i = 0; i < 5; i++) {
      assertUnauthenticated(await server.gql(VIEWER, {}, asBasic('basic.throttle@example.com', WRONG)), CHALLENGE);
    }
    const retryAfter = assertThrottled(await server.gql(VIEWER, {}, asBasic('basic.throttle@example.com', WRONG)));
    assertThrottled(await server.gql(VIEWER, {}, asBasic('basic.throttle@example.com', STRONG_PASSWORD)));
    server.clock.advance(retryAfter * 1000 - 1);
    assertThrottled(await server.gql(VIEWER, {}, asBasic('basic.throttle@example.com', STRONG_PASSWORD)));
    server.clock.advance(1);
    assert.equal(await viewerEmail(server, asBasic('basic.throttle@example.com', STRONG_PASSWORD)), 'basic.throttle@example.com');
  });

  test('an unconfirmed or disabled account is refused', async () => {
    await createAccount(server, 'basic.unconfirmed@example.com', { confirmed: false });
    const unconfirmed = assertUnauthenticated(await server.gql(VIEWER, {}, asBasic('basic.unconfirmed@example.com', STRONG_PASSWORD)), CHALLENGE);
    assert.match(unconfirmed, /Confirm your email/);

    const id = await createAccount(server, 'basic.off@example.com');
    await fork().nativeUpdate(User, { id }, { disabled: true });
    const disabled = assertUnauthenticated(await server.gql(VIEWER, {}, asBasic('basic.off@example.com', STRONG_PASSWORD)), CHALLENGE);
    assert.match(disabled, /disabled/);
  });

  test('__token__ with an access token works here too; the token is created with the password and revoked as usual', async () => {
    await createAccount(server, 'basic.token@example.com');
    const password = asBasic('basic.token@example.com', STRONG_PASSWORD);
    const { token, accessToken } = await createToken(server, password, { name: 'basic ci' });
    assert.equal(await viewerEmail(server, asTokenBasic(token)), 'basic.token@example.com');

    // A token still cannot mint tokens, and this backend takes no Bearer.
    const minted = await server.gql(CREATE_TOKEN, { input: { name: 'minted' } }, asTokenBasic(token));
    assert.deepEqual(minted.body.errors?.map((e) => e.extensions?.code), ['FORBIDDEN']);
    assertUnauthenticated(await server.gql(VIEWER, {}, { token }), CHALLENGE);

    assert.deepEqual(dataOf(await server.gql(REVOKE_TOKEN, { id: accessToken.id }, password)), { revokeAccessToken: { id: accessToken.id } });
    const message = assertUnauthenticated(await server.gql(VIEWER, {}, asTokenBasic(token)), CHALLENGE);
    assert.match(message, /invalid, expired or revoked/);
  });

  test('changePassword: the old password is refused on the very next request, the new one works', async () => {
    await createAccount(server, 'basic.change@example.com');
    const old = asBasic('basic.change@example.com', STRONG_PASSWORD);
    assert.equal(await viewerEmail(server, old), 'basic.change@example.com'); // now remembered
    const changed = await server.gql(CHANGE_PASSWORD, { c: STRONG_PASSWORD, n: NEW_PASSWORD }, old);
    assert.deepEqual(dataOf(changed), { changePassword: { __typename: 'User' } });
    // No clock move: the remembered pair no longer counts.
    assertUnauthenticated(await server.gql(VIEWER, {}, old), CHALLENGE);
    assert.equal(await viewerEmail(server, asBasic('basic.change@example.com', NEW_PASSWORD)), 'basic.change@example.com');
    assertUnauthenticated(await server.gql(VIEWER, {}, old), CHALLENGE);
  });

  test('a password reset: the old password is refused on the very next request, the new one works', async () => {
    await createAccount(server, 'basic.reset@example.com');
    await createAccount(server, 'basic.reset-helper@example.com');
    const old = asBasic('basic.reset@example.com', STRONG_PASSWORD);
    assert.equal(await viewerEmail(server, old), 'basic.reset@example.com');
    // Every GraphQL request needs credentials here: another account asks for the link; the owner
    // sets the password on the server's reset page, which needs none.
    const asked = await server.gql(REQUEST_RESET, { email: 'basic.reset@example.com' }, asBasic('basic.reset-helper@example.com', STRONG_PASSWORD));
    assert.equal(dataOf(asked).requestPasswordReset.__typename, 'RequestAccepted');
    let mails: Awaited<ReturnType<typeof mailsTo>> = [];
    for (let i = 0; i < 100 && mails.length === 0; i++) {
      mails = await mailsTo(server, 'basic.reset@example.com', /Reset your password/);
      if (mails.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(mails.length, 1);
    const reset = await fetch(new URL('/auth/reset-password', server.origin), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokenIn(mails[0]!), newPassword: NEW_PASSWORD }).toString(),
    });
    assert.equal(reset.status, 200, await reset.clone().text());

    assertUnauthenticated(await server.gql(VIEWER, {}, old), CHALLENGE);
    assert.equal(await viewerEmail(server, asBasic('basic.reset@example.com', NEW_PASSWORD)), 'basic.reset@example.com');
  });

  test("an admin's setUserPassword: the old password is refused on the very next request", async () => {
    await createAccount(server, 'basic.admin@example.com', { roles: ['admin'] });
    const id = await createAccount(server, 'basic.managed@example.com');
    const old = asBasic('basic.managed@example.com', STRONG_PASSWORD);
    assert.equal(await viewerEmail(server, old), 'basic.managed@example.com');
    const set = await server.gql(SET_USER_PASSWORD, { id, password: NEW_PASSWORD }, asBasic('basic.admin@example.com', STRONG_PASSWORD));
    assert.deepEqual(dataOf(set), { setUserPassword: { __typename: 'User' } });
    assertUnauthenticated(await server.gql(VIEWER, {}, old), CHALLENGE);
    assert.equal(await viewerEmail(server, asBasic('basic.managed@example.com', NEW_PASSWORD)), 'basic.managed@example.com');
  });

  test('a password changed in the database by another process (an instance, a script) applies on the next request too', async () => {
    const id = await createAccount(server, 'basic.cache@example.com');
    const old = asBasic('basic.cache@example.com', STRONG_PASSWORD);
    assert.equal(await viewerEmail(server, old), 'basic.cache@example.com');
    // No event reaches this server: the remembered pair is compared with the stored credentials.
    await fork().nativeUpdate(User, { id }, { passwordHash: await hashPassword(NEW_PASSWORD) });
    assertUnauthenticated(await server.gql(VIEWER, {}, old), CHALLENGE);
    assert.equal(await viewerEmail(server, asBasic('basic.cache@example.com', NEW_PASSWORD)), 'basic.cache@example.com');
  });

  test('a remembered credential of a user disabled since is refused at once, and of a deleted user too', async () => {
    const id = await createAccount(server, 'basic.cachedoff@example.com');
    const credentials = asBasic('basic.cachedoff@example.com', STRONG_PASSWORD);
    assert.equal(await viewerEmail(server, credentials), 'basic.cachedoff@example.com');

    await fork().nativeUpdate(User, { id }, { disabled: true });
    assertUnauthenticated(await server.gql(VIEWER, {}, credentials), CHALLENGE);
    await fork().nativeUpdate(User, { id }, { disabled: false });
    assert.equal(await viewerEmail(server, credentials), 'basic.cachedoff@example.com');

    await fork().nativeDelete(User, { id });
    assertUnauthenticated(await server.gql(VIEWER, {}, credentials), CHALLENGE);
  });
});

describe('AUTH_BACKEND=basic: the per-IP budget of sign-in attempts', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AUTH_BACKEND: 'basic', AUTH_RATE_LIMIT_PER_MINUTE: '3' });
  });
  after(() => server.close());

  test('one address cannot try a password on many accounts; remembered credentials keep working', async () => {
    await createAccount(server, 'budget.owner@example.com');
    const owner = asBasic('budget.owner@example.com', STRONG_PASSWORD);
    // One verification (spends one attempt), then remembered (spends nothing).
    for (let i = 0; i < 5; i++) assert.equal(await viewerEmail(server, owner), 'budget.owner@example.com');

    // Password spraying: one guess per account, so no account's own throttle ever triggers.
    assertUnauthenticated(await server.gql(VIEWER, {}, asBasic('spray1@example.com', WRONG)), CHALLENGE);
    assertUnauthenticated(await server.gql(VIEWER, {}, asBasic('spray2@example.com', WRONG)), CHALLENGE);
    assertThrottled(await server.gql(VIEWER, {}, asBasic('spray3@example.com', WRONG)));
    assert.equal(await viewerEmail(server, owner), 'budget.owner@example.com');

    // The budget refills over the minute.
    server.clock.advance(20_000);
    assertUnauthenticated(await server.gql(VIEWER, {}, asBasic('spray4@example.com', WRONG)), CHALLENGE);
  });

  test('a factor change makes the remembered pair be verified again (it spends an attempt of the budget)', async () => {
    server.clock.advance(60_000); // a full budget (3 a minute)
    await createAccount(server, 'budget.factor@example.com');
    const owner = asBasic('budget.factor@example.com', STRONG_PASSWORD);
    assert.equal(await viewerEmail(server, owner), 'budget.factor@example.com'); // verified: 2 left
    const enrolled = dataOf(await server.gql(ENROLL, {}, owner)).enrollTotp; // remembered: spends nothing
    const confirmed = dataOf(await server.gql(CONFIRM, { code: totpCode(server, enrolled.secret) }, owner));
    assert.equal(confirmed.confirmTotp.__typename, 'RecoveryCodes');
    // A Basic password is a first-factor credential: it still works, but is checked again: 1 left.
    assert.equal(await viewerEmail(server, owner), 'budget.factor@example.com');
    assert.equal(await viewerEmail(server, owner), 'budget.factor@example.com'); // remembered again
    assertUnauthenticated(await server.gql(VIEWER, {}, asBasic('spray5@example.com', WRONG)), CHALLENGE); // 0 left
    // Had the pair still been remembered across the change, this attempt would have been checked (401).
    assertThrottled(await server.gql(VIEWER, {}, asBasic('spray6@example.com', WRONG)));
  });
});
