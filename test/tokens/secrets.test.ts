// A raw access token is seen exactly once, in the createAccessToken response: never in any table
// of the database (only its SHA-256), nor in audit details, nor in a later query result, nor in
// the log (captured at level trace), whatever is done with it — including mistakes such as sending
// it as the Basic user name or as a login email.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createConfirmedUser, errorCodes, startTestServer, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { hashToken } from '../../src/util/secrets.ts';
import {
  asBasic,
  asTokenBasic,
  AUDIT_EVENTS,
  CREATE_TOKEN,
  createAccount,
  createToken,
  databaseDump,
  dataOf,
  LogCapture,
  REVOKE_TOKEN,
  secretBody,
  USER_TOKENS,
  VIEWER,
  VIEWER_TOKENS,
} from './token-helpers.ts';

const LOGIN = `mutation($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { __typename } }`;

/** Asserts the token (or its secret part) appears nowhere in `text`; `where` names the place. */
function assertAbsent(text: string, token: string, where: string): void {
  assert.equal(text.includes(token), false, `the raw token appears in ${where}`);
  assert.equal(text.includes(secretBody(token)), false, `the token's secret part appears in ${where}`);
}

describe('raw tokens are never kept or shown again (session backend)', () => {
  let server: TestServer;
  const log = new LogCapture();

  before(async () => {
    server = await startTestServer({}, { logger: pino({ level: 'trace' }, log) });
  });
  after(() => server.close());

  test('not in the database, audit details, later results or the log, after every kind of use', async () => {
    const admin = await createConfirmedUser(server, 'sec.admin@example.com');
    await grantRoles(server, admin.userId, 'admin');
    const owner = await createConfirmedUser(server, 'sec.owner@example.com');
    const created = await server.gql(CREATE_TOKEN, { input: { name: 'secret', expiresInDays: 1 } }, { token: owner.token });
    const { token, accessToken } = dataOf(created).createAccessToken;
    // The one place it is shown.
    assert.ok(JSON.stringify(created.body).includes(token));
    const revoked = await createToken(server, owner.token, { name: 'revoked' });

    // Every kind of use, successful and not.
    const later = [
      await server.gql(VIEWER, {}, { token }),
      await server.gql(VIEWER, {}, asTokenBasic(token)),
      await server.gql(VIEWER_TOKENS, {}, { token }),
      await server.gql(VIEWER_TOKENS, {}, { token: owner.token }),
      await server.gql(USER_TOKENS, { id: owner.userId }, { token: admin.token }),
      await server.gql(CREATE_TOKEN, { input: { name: 'refused' } }, { token }),
      // Mistakes: the token as the Basic user name, as a login email, inside a bad Basic header.
      await server.gql(VIEWER, {}, asBasic(token, 'x')),
      await server.gql(VIEWER, {}, { headers: { authorization: `Token ${token}` } }),
      await server.gql(LOGIN, { email: token, password: 'not the password' }),
      await server.gql(REVOKE_TOKEN, { id: revoked.accessToken.id }, { token: owner.token }),
      await server.gql(VIEWER, {}, { token: revoked.token }),
      // A token past its expiry.
      await (async () => {
        server.clock.advance(2 * 86_400_000);
        return server.gql(VIEWER, {}, { token });
      })(),
    ];
    const audit = await server.gql(AUDIT_EVENTS, {}, { token: admin.token });
    later.push(audit);
    for (const [index, res] of later.entries()) {
      const text = JSON.stringify(res.body);
      assertAbsent(text, token, `response ${index}`);
      assertAbsent(text, revoked.token, `response ${index}`);
    }
    // The audit log did record the creation and revocation (with the token's id, not its value).
    const events = dataOf(audit).auditEvents.edges.map((e: any) => e.node);
    const creation = events.find((e: any) => e.action === 'token.create' && e.targetId === accessToken.id);
    assert.ok(creation, 'token.create is audited');
    assert.deepEqual(JSON.parse(creation.details), { name: 'secret', permissions: null, organizationId: null, expiresAt: accessToken.expiresAt });
    assert.ok(events.some((e: any) => e.action === 'token.revoke' && e.targetId === revoked.accessToken.id));
    // The token typed as a login email is recorded cut to its prefix and last four characters.
    const failedLogin = events.find((e: any) => e.action === 'auth.login_failed');
    assert.equal(failedLogin?.actorEmail, `gth_…${token.slice(-4)}`);

    const dump = await databaseDump(server);
    assert.ok(dump.tables.includes('access_tokens') && dump.tables.includes('audit_events'), dump.tables.join());
    // Only the SHA-256 is stored: present, so the scan is looking at the right rows.
    assert.ok(dump.text.includes(hashToken(token)), 'the stored hash is where the scan looks');
    assertAbsent(dump.text, token, 'the database');
    assertAbsent(dump.text, revoked.token, 'the database');

    assert.ok(log.lines.some((line) => line.includes('"request"')), 'the log was captured');
    assertAbsent(log.text, token, 'the log');
    assertAbsent(log.text, revoked.token, 'the log');
  });
});

describe('raw tokens are never kept or shown again (basic backend)', () => {
  let server: TestServer;
  const log = new LogCapture();

  before(async () => {
    server = await startTestServer({ AUTH_BACKEND: 'basic' }, { logger: pino({ level: 'trace' }, log) });
  });
  after(() => server.close());

  test('a token sent as the Basic user name or password of an email is not recorded as the email tried', async () => {
    await createAccount(server, 'sec.basic@example.com');
    const basic = asBasic('sec.basic@example.com', 'correct horse battery staple');
    const { token } = await createToken(server, basic, { name: 'basic' });

    const mistakes = [
      // The token as the user name (GitHub-style clients), with any password or none.
      await server.gql(VIEWER, {}, asBasic(token, 'x-oauth-basic')),
      await server.gql(VIEWER, {}, asBasic(token, '')),
      // The token as the password of the email.
      await server.gql(VIEWER, {}, asBasic('sec.basic@example.com', token)),
    ];
    for (const res of mistakes) {
      assert.equal(res.status, 401, JSON.stringify(res.body));
      assertAbsent(JSON.stringify(res.body), token, 'a refusal');
    }
    assert.equal(dataOf(await server.gql(VIEWER, {}, asTokenBasic(token))).viewer.email, 'sec.basic@example.com');

    const dump = await databaseDump(server);
    assert.ok(dump.text.includes(hashToken(token)));
    assertAbsent(dump.text, token, 'the database');
    assertAbsent(log.text, token, 'the log');
  });

  test('login with a token as the email does not store it either', async () => {
    const basic = asBasic('sec.basic@example.com', 'correct horse battery staple');
    const { token } = await createToken(server, basic, { name: 'login-mistake' });
    const res = await server.gql(LOGIN, { email: token, password: 'not the password' }, basic);
    assert.deepEqual(errorCodes(res), []);
    assert.equal(dataOf(res).login.__typename, 'InvalidCredentialsError');
    assertAbsent((await databaseDump(server)).text, token, 'the database');
  });
});
