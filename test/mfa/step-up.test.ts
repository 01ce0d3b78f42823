// Step-up: sensitive operations need a recent sign-in; `reauthenticate` renews it with the password
// or an authenticator code. Access tokens prove themselves on every request and are not asked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answeredNothing, createConfirmedUser, errorCodes, STRONG_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { createToken } from '../tokens/token-helpers.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { loadConfig } from '../../src/config/index.ts';
import { DISABLE, ENROLL, enableTotp, nextStep, totpCode } from './mfa-helpers.ts';

const REAUTH = `mutation($input: ReauthenticateInput!) {
  reauthenticate(input: $input) {
    __typename
    ... on Reauthenticated { validUntil }
    ... on Error { code message }
    ... on ValidationError { fields { field messages } }
  }
}`;
const CREATE_TOKEN = `mutation { createAccessToken(input: { name: "step-up" }) { __typename } }`;
const CREATE_ROLE = `mutation { createRole(input: { name: "stepped" }) { __typename } }`;
const MAINTENANCE_OFF = `mutation { setMaintenanceMode(input: { enabled: false }) { __typename } }`;
const DELETE_ACCOUNT = `mutation { deleteAccount { __typename ... on DeletedUser { email } ... on Error { code } } }`;
const ELEVEN_MINUTES = 11 * 60_000;

describe('step-up (recent sign-in)', () => {
  let server: TestServer;
  before(async () => {
    // The production default, which the test harness otherwise lifts.
    server = await startTestServer({ STEP_UP_WINDOW: '10m' });
  });
  after(() => server.close());

  test('STEP_UP_WINDOW defaults to 10 minutes', () => {
    assert.equal(loadConfig({}).mfa.stepUpWindowMs, 10 * 60_000);
  });

  test('a fresh session does sensitive operations; after STEP_UP_WINDOW it gets REAUTHENTICATION_REQUIRED, and reauthenticate reopens them', async () => {
    const { token } = await createConfirmedUser(server, 'stepup.user@example.com');
    assert.equal((await server.gql(CREATE_TOKEN, {}, { token })).body.data.createAccessToken.__typename, 'CreatedAccessToken');

    server.clock.advance(ELEVEN_MINUTES);
    const stale = await server.gql(CREATE_TOKEN, {}, { token });
    assert.deepEqual(errorCodes(stale), ['REAUTHENTICATION_REQUIRED'], JSON.stringify(stale.body));
    assert.ok(answeredNothing(stale));
    // Ordinary operations do not need it.
    assert.equal((await server.gql(`{ viewer { email } }`, {}, { token })).body.data.viewer.email, 'stepup.user@example.com');

    const wrong = (await server.gql(REAUTH, { input: { password: 'not the password' } }, { token })).body.data.reauthenticate;
    assert.equal(wrong.__typename, 'InvalidCredentialsError');
    assert.deepEqual(errorCodes(await server.gql(CREATE_TOKEN, {}, { token })), ['REAUTHENTICATION_REQUIRED'], 'a wrong password opens nothing');

    const done = (await server.gql(REAUTH, { input: { password: STRONG_PASSWORD } }, { token })).body.data.reauthenticate;
    assert.equal(done.__typename, 'Reauthenticated');
    assert.equal(new Date(done.validUntil).getTime(), server.clock.now().getTime() + 10 * 60_000);
    assert.equal((await server.gql(CREATE_TOKEN, {}, { token })).body.data.createAccessToken.__typename, 'CreatedAccessToken');
    const events = await server.gatehouse.services.orm.em.fork().find(AuditEvent, { action: 'auth.reauthenticate' });
    assert.deepEqual(events.map((e) => e.details), [{ with: 'password' }]);
  });

  test('reauthenticate with an authenticator code; one of password and totp, exactly', async () => {
    const { token } = await createConfirmedUser(server, 'stepup.totp@example.com');
    const { secret } = await enableTotp(server, token);
    server.clock.advance(ELEVEN_MINUTES);
    nextStep(server);
    assert.deepEqual(errorCodes(await server.gql(DISABLE, {}, { token })), ['REAUTHENTICATION_REQUIRED']);
    const both = (await server.gql(REAUTH, { input: { password: STRONG_PASSWORD, totp: totpCode(server, secret) } }, { token })).body.data.reauthenticate;
    assert.deepEqual(both.fields.map((f: any) => f.field), ['totp']);
    const neither = (await server.gql(REAUTH, { input: {} }, { token })).body.data.reauthenticate;
    assert.deepEqual(neither.fields.map((f: any) => f.field), ['password']);
    const wrongCode = (await server.gql(REAUTH, { input: { totp: totpCode(server, secret, 5) } }, { token })).body.data.reauthenticate;
    assert.equal(wrongCode.__typename, 'InvalidCodeError');
    assert.equal((await server.gql(REAUTH, { input: { totp: totpCode(server, secret) } }, { token })).body.data.reauthenticate.__typename, 'Reauthenticated');
    assert.equal((await server.gql(DISABLE, {}, { token })).body.data.disableTotp.__typename, 'User');
  });

  test('an account without TOTP cannot reauthenticate with a code', async () => {
    const { token } = await createConfirmedUser(server, 'stepup.nototp@example.com');
    const res = (await server.gql(REAUTH, { input: { totp: '123456' } }, { token })).body.data.reauthenticate;
    assert.equal(res.__typename, 'InvalidCodeError');
  });

  test('admin operations need it too; a caller without the permission still gets FORBIDDEN, not an invitation to reauthenticate', async () => {
    const admin = await createConfirmedUser(server, 'stepup.admin@example.com');
    await grantRoles(server, admin.userId, 'admin');
    const plain = await createConfirmedUser(server, 'stepup.plain@example.com');
    server.clock.advance(ELEVEN_MINUTES);
    for (const document of [CREATE_ROLE, MAINTENANCE_OFF]) {
      assert.deepEqual(errorCodes(await server.gql(document, {}, { token: admin.token })), ['REAUTHENTICATION_REQUIRED'], document);
      assert.deepEqual(errorCodes(await server.gql(document, {}, { token: plain.token })), ['FORBIDDEN'], document);
    }
    assert.equal((await server.gql(REAUTH, { input: { password: STRONG_PASSWORD } }, { token: admin.token })).body.data.reauthenticate.__typename, 'Reauthenticated');
    assert.equal((await server.gql(CREATE_ROLE, {}, { token: admin.token })).body.data.createRole.__typename, 'Role');
  });

  test('an access token is not asked to step up (it is a credential of its own), and cannot reauthenticate or delete the account', async () => {
    const admin = await createConfirmedUser(server, 'stepup.script@example.com');
    await grantRoles(server, admin.userId, 'admin');
    const { token } = await createToken(server, admin.token, { name: 'ops script' });
    server.clock.advance(ELEVEN_MINUTES);
    assert.equal((await server.gql(MAINTENANCE_OFF, {}, { token })).body.data.setMaintenanceMode.__typename, 'MaintenanceState');
    assert.deepEqual(errorCodes(await server.gql(REAUTH, { input: { password: STRONG_PASSWORD } }, { token })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(DELETE_ACCOUNT, {}, { token })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(ENROLL, {}, { token })), ['FORBIDDEN']);
  });

  test('deleteAccount: a fresh session deletes; a stale one must reauthenticate first', async () => {
    const { token } = await createConfirmedUser(server, 'stepup.delete@example.com');
    server.clock.advance(ELEVEN_MINUTES);
    assert.deepEqual(errorCodes(await server.gql(DELETE_ACCOUNT, {}, { token })), ['REAUTHENTICATION_REQUIRED']);
    await server.gql(REAUTH, { input: { password: STRONG_PASSWORD } }, { token });
    assert.deepEqual((await server.gql(DELETE_ACCOUNT, {}, { token })).body.data.deleteAccount, { __typename: 'DeletedUser', email: 'stepup.delete@example.com' });
  });

  test('anonymous callers: UNAUTHENTICATED', async () => {
    assert.deepEqual(errorCodes(await server.gql(REAUTH, { input: { password: 'x' } })), ['UNAUTHENTICATED']);
  });
});
