// A server nobody has claimed is not open to strangers: until an admin exists, first-run setup stays
// open and self-service sign-up (register, a new account through OAuth) answers SETUP_REQUIRED,
// unless ALLOW_REGISTRATION_BEFORE_SETUP is set — and then those early accounts do not end setup.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { User } from '../../src/accounts/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { Browser, signInWithBrowser, startOAuthTest, type OAuthTest } from '../oauth/oauth-helpers.ts';
import { rolesOfEmail } from './setup-helpers.ts';

const SETUP_TOKEN = 'claim-test-setup-token-0123456789';
const SETUP_STATUS = `{ setupStatus { needsSetup } }`;
const REGISTER = `mutation($email: String!, $password: String!) {
  register(input: { email: $email, password: $password }) { __typename ... on Error { code message } }
}`;
const COMPLETE_SETUP = `mutation($email: String!, $password: String!) {
  completeSetup(input: { setupToken: "${SETUP_TOKEN}", email: $email, password: $password }) {
    __typename ... on AccountStatus { email } ... on Error { code message }
  }
}`;

const users = (server: TestServer) => server.gatehouse.services.orm.em.fork().count(User, {});
const needsSetup = async (server: TestServer) => (await server.gql(SETUP_STATUS)).body.data.setupStatus.needsSetup as boolean;

describe('an unclaimed server (the default)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ SETUP_TOKEN, ALLOW_REGISTRATION_BEFORE_SETUP: 'false' });
  });
  after(() => server.close());

  test('register answers SetupRequiredError and creates nothing, sends no mail', async () => {
    const res = await server.gql(REGISTER, { email: 'stranger@example.com', password: STRONG_PASSWORD });
    assert.equal(res.body.data.register.__typename, 'SetupRequiredError', JSON.stringify(res.body));
    assert.equal(res.body.data.register.code, 'SETUP_REQUIRED');
    assert.match(res.body.data.register.message, /administrator has claimed/);
    assert.equal(await users(server), 0);
    assert.equal(server.mail.messages.length, 0);
    assert.equal(await server.gatehouse.services.orm.em.fork().count(AuditEvent, { action: 'account.register' }), 0);
    assert.equal(await needsSetup(server), true);
  });

  test('invalid input is still reported first (no hint about the server beyond what the form needs)', async () => {
    const res = await server.gql(REGISTER, { email: 'not-an-email', password: 'short' });
    assert.equal(res.body.data.register.__typename, 'ValidationError');
    assert.equal(await users(server), 0);
  });

  test('after completeSetup, register is open', async () => {
    const setup = await server.gql(COMPLETE_SETUP, { email: 'owner@example.com', password: STRONG_PASSWORD });
    assert.equal(setup.body.data.completeSetup.__typename, 'AccountStatus', JSON.stringify(setup.body));
    assert.equal(await needsSetup(server), false);
    const res = await server.gql(REGISTER, { email: 'stranger@example.com', password: STRONG_PASSWORD });
    assert.equal(res.body.data.register.__typename, 'AccountStatus', JSON.stringify(res.body));
    assert.equal(await users(server), 2);
  });
});

describe('ALLOW_REGISTRATION_BEFORE_SETUP=true', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ SETUP_TOKEN, ALLOW_REGISTRATION_BEFORE_SETUP: 'true' });
  });
  after(() => server.close());

  test('an early account does not claim the server: setup stays open and then creates the admin', async () => {
    await createConfirmedUser(server, 'early@example.com');
    assert.equal(await needsSetup(server), true, 'an account without the admin role claims nothing');
    assert.deepEqual(await rolesOfEmail(server, 'early@example.com'), ['user']);

    // The early account's email cannot be claimed through setup (it is not taken over).
    const taken = await server.gql(COMPLETE_SETUP, { email: 'EARLY@example.com', password: STRONG_PASSWORD });
    assert.equal(taken.body.data.completeSetup.__typename, 'EmailTakenError', JSON.stringify(taken.body));
    assert.deepEqual(await rolesOfEmail(server, 'early@example.com'), ['user']);
    assert.equal(await users(server), 1);
    assert.equal(await needsSetup(server), true);

    const setup = await server.gql(COMPLETE_SETUP, { email: 'owner@example.com', password: STRONG_PASSWORD });
    assert.equal(setup.body.data.completeSetup.__typename, 'AccountStatus', JSON.stringify(setup.body));
    assert.deepEqual(await rolesOfEmail(server, 'owner@example.com'), ['admin', 'user']);
    assert.equal(await needsSetup(server), false);
    await login(server, 'owner@example.com');

    const again = await server.gql(COMPLETE_SETUP, { email: 'second@example.com', password: STRONG_PASSWORD });
    assert.equal(again.body.data.completeSetup.__typename, 'SetupAlreadyCompletedError');
  });
});

describe('OAuth sign-up on an unclaimed server', () => {
  let t: OAuthTest;
  before(async () => {
    t = await startOAuthTest({ SETUP_TOKEN, ALLOW_REGISTRATION_BEFORE_SETUP: 'false' });
  });
  after(() => t.close());

  test('a new identity is sent back with error=setup_required and no account; after setup it signs up', async () => {
    t.idp.signInAs({ sub: 'early-idp', email: 'early@example.com', email_verified: true });
    const refused = await signInWithBrowser(t.server, new Browser());
    assert.equal(refused.params.get('error'), 'setup_required', refused.hops.join('\n'));
    assert.equal(await users(t.server), 0);

    const setup = await t.server.gql(COMPLETE_SETUP, { email: 'owner@example.com', password: STRONG_PASSWORD });
    assert.equal(setup.body.data.completeSetup.__typename, 'AccountStatus');
    t.idp.signInAs({ sub: 'early-idp', email: 'early@example.com', email_verified: true });
    const ended = await signInWithBrowser(t.server, new Browser());
    assert.equal(ended.params.get('error'), null, ended.hops.join('\n'));
    assert.equal(await users(t.server), 2);
  });
});
