// The MFA policy (MFA_REQUIRED_ROLES) and an administrator's reset of a user's second factors,
// over the API and the command line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createConfirmedUser, errorCodes, STRONG_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';
import { runGatehouse } from '../helpers/cli.ts';
import { createRoleInDb, grantRoles } from '../access/access-helpers.ts';
import { createToken } from '../tokens/token-helpers.ts';
import { loadConfig } from '../../src/config/index.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { CONFIRM, ENROLL, enableTotp, LOGIN_MFA, totpCode } from './mfa-helpers.ts';

const USERS = `{ users(first: 1) { totalCount } }`;
const RESET = `mutation($id: ID!) { resetUserSecondFactors(input: { id: $id }) { __typename ... on User { mfa { enabled totpEnabled } } } }`;

describe('MFA_REQUIRED_ROLES', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ MFA_REQUIRED_ROLES: 'admin' });
  });
  after(() => server.close());

  test('the default: admin in production, nobody otherwise; `none` turns it off', () => {
    assert.deepEqual(loadConfig({ NODE_ENV: 'production' }).mfa.requiredRoles, ['admin']);
    assert.deepEqual(loadConfig({ NODE_ENV: 'development' }).mfa.requiredRoles, []);
    assert.deepEqual(loadConfig({ NODE_ENV: 'production', MFA_REQUIRED_ROLES: 'none' }).mfa.requiredRoles, []);
    assert.deepEqual(loadConfig({ MFA_REQUIRED_ROLES: 'admin, support' }).mfa.requiredRoles, ['admin', 'support']);
  });

  test('an admin without a factor signs in, sees themselves and may set one up, but nothing else until then', async () => {
    const admin = await createConfirmedUser(server, 'policy.admin@example.com');
    // A permission-restricted token made while the account held only a reader role.
    await createRoleInDb(server, 'policy-reader', ['users:read']);
    await grantRoles(server, admin.userId, 'policy-reader');
    const { token } = await createToken(server, admin.token, { name: 'restricted', permissions: ['users:read'] });
    await grantRoles(server, admin.userId, 'admin');
    const refused = await server.gql(USERS, {}, { token: admin.token });
    assert.deepEqual(errorCodes(refused), ['MFA_ENROLLMENT_REQUIRED'], JSON.stringify(refused.body));
    assert.deepEqual(refused.body.errors![0]!.extensions!.roles, ['admin']);
    assert.match(refused.body.errors![0]!.message, /admin.*second factor/);
    assert.equal((await server.gql(`{ viewer { email } }`, {}, { token: admin.token })).body.data.viewer.email, 'policy.admin@example.com');
    // Its restricted token is held to the same rule (the policy is about the person, not the token's narrowed view).
    assert.deepEqual(errorCodes(await server.gql(USERS, {}, { token })), ['MFA_ENROLLMENT_REQUIRED']);
    const tokenRes = await server.gql(`mutation { createAccessToken(input: { name: "another" }) { __typename } }`, {}, { token: admin.token });
    assert.deepEqual(errorCodes(tokenRes), ['MFA_ENROLLMENT_REQUIRED']);

    const enrolled = (await server.gql(ENROLL, {}, { token: admin.token })).body.data.enrollTotp;
    const confirmed = (await server.gql(CONFIRM, { code: totpCode(server, enrolled.secret) }, { token: admin.token })).body.data.confirmTotp;
    assert.equal(confirmed.__typename, 'RecoveryCodes');
    assert.equal((await server.gql(USERS, {}, { token: admin.token })).body.data.users.totalCount >= 1, true);
    assert.equal((await server.gql(USERS, {}, { token })).body.data.users.totalCount >= 1, true);
  });

  test('holders of other roles are not asked', async () => {
    const user = await createConfirmedUser(server, 'policy.user@example.com');
    const res = await server.gql(`mutation { updateProfile(input: { displayName: "Plain" }) { __typename } }`, {}, { token: user.token });
    assert.equal(res.body.data.updateProfile.__typename, 'User');
  });
});

describe('resetting a user’s second factors', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  before(async () => {
    server = await startTestServer();
    admin = await createConfirmedUser(server, 'reset.admin@example.com');
    await grantRoles(server, admin.userId, 'admin');
  });
  after(() => server.close());

  test('an admin removes them: the password alone signs in again; audited and emailed; nobody else may', async () => {
    const email = 'reset.lost-phone@example.com';
    const user = await createConfirmedUser(server, email);
    await enableTotp(server, user.token);
    assert.equal((await server.gql(LOGIN_MFA, { email, password: STRONG_PASSWORD })).body.data.login.__typename, 'SecondFactorRequired');

    const plain = await createConfirmedUser(server, 'reset.plain@example.com');
    assert.deepEqual(errorCodes(await server.gql(RESET, { id: user.userId }, { token: plain.token })), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(RESET, { id: '00000000-0000-4000-8000-000000000000' }, { token: admin.token })), ['NOT_FOUND']);

    const reset = (await server.gql(RESET, { id: user.userId }, { token: admin.token })).body.data.resetUserSecondFactors;
    assert.deepEqual(reset, { __typename: 'User', mfa: { enabled: false, totpEnabled: false } });
    assert.equal((await server.gql(LOGIN_MFA, { email, password: STRONG_PASSWORD })).body.data.login.__typename, 'CreatedSession');
    await server.mail.waitFor(email, /second factors of your account changed/);
    const events = await server.gatehouse.services.orm.em.fork().find(AuditEvent, { action: 'mfa.reset', targetId: user.userId });
    assert.deepEqual(events.map((e) => [e.actorId, e.details]), [[admin.userId, { totp: true, passkeys: 0, recoveryCodes: 10 }]]);
  });
});

describe('gatehouse user mfa-reset', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, {}, { keepSqlite: true });
  });
  after(() => server.close());

  test('the operator removes a user’s second factors from the command line', async () => {
    const email = 'cli.mfa@example.com';
    const user = await createConfirmedUser(server, email);
    await enableTotp(server, user.token);
    const run = await runGatehouse(['user', 'mfa-reset', email], { cwd: server.dir, databasePath: join(server.dir, 'gatehouse.db'), keepSqlite: true });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Removed the second factors of cli\.mfa@example\.com/);
    assert.equal((await server.gql(LOGIN_MFA, { email, password: STRONG_PASSWORD })).body.data.login.__typename, 'CreatedSession');
    const unknown = await runGatehouse(['user', 'mfa-reset', 'nobody@example.com'], { cwd: server.dir, databasePath: join(server.dir, 'gatehouse.db'), keepSqlite: true });
    assert.notEqual(unknown.code, 0);
  });
});
